using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Lifeboat.Agent.Notifications;

/// <summary>A channel by its plan-file name, with the events it takes (a channel's <c>events:</c>, or its type's default).</summary>
internal sealed record ChannelRoute(string Name, INotificationChannel Channel, IReadOnlySet<string> Events)
{
    /// <summary>The plans whose notifications the channel takes (the plans that name it in <c>notify:</c>); null: every plan.</summary>
    public IReadOnlySet<string>? Plans { get; init; }

    /// <summary>The events an alert channel takes when its <c>events:</c> names none: every alert event.</summary>
    public static readonly IReadOnlySet<string> AlertEvents =
        new HashSet<string>(ChannelSettings.KnownEvents, StringComparer.Ordinal);

    /// <summary>
    /// The events a ping channel takes by default: runs starting and succeeding, and failures (once each: not their
    /// reminders, as a reminder's event is the same for every condition and the pinged service keeps its own state).
    /// </summary>
    public static readonly IReadOnlySet<string> PingEvents =
        new HashSet<string>(["run_started", "run_succeeded", "failure"], StringComparer.Ordinal);

    /// <summary>Whether this channel takes <paramref name="notification"/>: a test always, anything else by its event name.</summary>
    public bool Takes(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification.Kind == NotificationKind.Test
            || ((Plans is null || Plans.Contains(notification.Plan)) && Events.Contains(notification.EventName));
    }
}

/// <summary>How hard a delivery is tried: attempts, the first backoff delay (doubled each retry, with jitter), and each attempt's timeout.</summary>
internal sealed record DeliveryPolicy(int MaxAttempts, TimeSpan FirstDelay, TimeSpan AttemptTimeout)
{
    /// <summary>4 attempts, 2 s then 4 s then 8 s apart (about), 30 s each.</summary>
    public static readonly DeliveryPolicy Default = new(4, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
}

/// <summary>
/// Delivers each notification to the channels that take it, all at once, each with retries and backoff (Polly) and a
/// timeout per attempt, and journals every delivery. Never throws: a channel that does not accept a notification is a
/// failed <see cref="DeliveryRecord"/>, returned and journaled, so sending never delays or fails a backup beyond the
/// delivery's own time (the agent does not await it on the backup's path).
/// </summary>
internal sealed class NotificationDispatcher
{
    private readonly IReadOnlyList<ChannelRoute> _routes;
    private readonly TimeProvider _time;
    private readonly RunJournal? _journal;
    private readonly ResiliencePipeline _pipeline;
    private readonly DeliveryPolicy _policy;

    public NotificationDispatcher(IReadOnlyList<ChannelRoute> routes, DeliveryPolicy policy, TimeProvider time, RunJournal? journal)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.MaxAttempts, 1);
        _routes = routes;
        _policy = policy;
        _time = time;
        _journal = journal;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (policy.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ChannelException>(e => e.Transient).Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = policy.MaxAttempts - 1,
                Delay = policy.FirstDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        _pipeline = builder.AddTimeout(policy.AttemptTimeout).Build();
    }

    /// <summary>Sends <paramref name="notification"/> to every channel that takes it; one record per channel, in route order.</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> DispatchAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var deliveries = _routes.Where(route => route.Takes(notification)).Select(route => DeliverAsync(route, notification, cancellationToken));
        return await Task.WhenAll(deliveries);
    }

    private async Task<DeliveryRecord> DeliverAsync(ChannelRoute route, Notification notification, CancellationToken cancellationToken)
    {
        var attempts = 0;
        string? error = null;
        try
        {
            await _pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    await route.Channel.SendAsync(notification, token);
                },
                cancellationToken);
        }
        catch (ChannelException e)
        {
            error = e.Message;
        }
        catch (TimeoutRejectedException)
        {
            error = $"{route.Name}: no answer within {Durations.Format(_policy.AttemptTimeout)}";
        }
        catch (OperationCanceledException)
        {
            error = $"{route.Name}: cancelled (the agent is stopping)";
        }
#pragma warning disable CA1031 // a channel's unexpected failure is a failed delivery, never the caller's exception
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = $"{route.Name}: unexpected {e.GetType().Name}"; // the message may hold a secret: the type only
        }

        var record = new DeliveryRecord(route.Name, notification.Kind, notification.DedupKey, _time.GetUtcNow(), attempts, error is null, error);
        await JournalAsync(record);
        return record;
    }

    private async Task JournalAsync(DeliveryRecord record)
    {
        if (_journal is null)
        {
            return;
        }

        try
        {
            await _journal.RecordDeliveryAsync(record, CancellationToken.None);
        }
#pragma warning disable CA1031 // a journal that cannot be written loses the record, not the notification
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
