using System.Threading.Channels;
using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;

namespace Lifeboat.Agent.Host;

/// <summary>
/// The one place the agent's alerts are decided and sent from: observations and run pings are queued (never awaited
/// on a run's path, so a slow or broken channel cannot delay or fail a backup) and taken one at a time, in order, by
/// <see cref="AlertPipeline"/>; reminders are made on a timer. Each failed delivery is logged (the journal has them
/// all). <see cref="Active"/> is a copy safe to read from any thread.
/// </summary>
internal sealed class AlertLoop : IAsyncDisposable
{
    private readonly Channel<object> _work = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly AlertPipeline _pipeline;
    private readonly IAgentLog _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _tickEvery;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _ticking = new();
    private readonly Task _loop;
    private volatile IReadOnlyList<AlertState> _active;
    private volatile NotificationDispatcher _pings;

    public AlertLoop(AlertPipeline pipeline, NotificationDispatcher pings, IAgentLog log, TimeProvider time, TimeSpan tickEvery)
    {
        _pipeline = pipeline;
        _pings = pings;
        _log = log;
        _time = time;
        _tickEvery = tickEvery;
        _active = [.. pipeline.Active];
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The alerts that are not resolved, as of the last observation taken.</summary>
    public IReadOnlyList<AlertState> Active => _active;

    /// <summary>Queues an observation.</summary>
    public void Observe(AlertObservation observation) => _work.Writer.TryWrite(observation);

    /// <summary>Queues a run notification (started, succeeded) for the ping channels.</summary>
    public void Ping(Notification notification) => _work.Writer.TryWrite(notification);

    /// <summary>Sends through <paramref name="alerts"/> and <paramref name="pings"/> from now on (a reloaded plan file's channels).</summary>
    public void Use(NotificationDispatcher alerts, NotificationDispatcher pings)
    {
        _pipeline.Use(alerts);
        _pings = pings;
    }

    /// <summary>Takes what is queued (within <paramref name="grace"/>), then stops.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        _work.Writer.TryComplete();
        if (await Task.WhenAny(_loop, Task.Delay(grace, _time)).ConfigureAwait(false) != _loop)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stop.Dispose();
        _ticking.Dispose();
        _pipeline.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reminders = RemindAsync(cancellationToken);
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await TakeAsync(work, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _ticking.Cancel();
            await reminders.ConfigureAwait(false);
        }
    }

    private async Task RemindAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _ticking.Token);
        using var ticks = new PeriodicTimer(_tickEvery, _time);
        try
        {
            while (await ticks.WaitForNextTickAsync(linked.Token).ConfigureAwait(false))
            {
                await TakeAsync(Tick.Instance, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
        }
    }

    private async Task TakeAsync(object work, CancellationToken cancellationToken)
    {
        try
        {
            var deliveries = work switch
            {
                AlertObservation observation => await _pipeline.ObserveAsync(observation, cancellationToken).ConfigureAwait(false),
                Notification ping => await _pings.DispatchAsync(ping, cancellationToken).ConfigureAwait(false),
                Tick => await _pipeline.TickAsync(cancellationToken).ConfigureAwait(false),
                _ => [],
            };
            _active = [.. _pipeline.Active];
            Logged(deliveries);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // the journal could not be written: said, and the agent goes on
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.Write(LogLevel.Error, "alerts", $"an alert could not be recorded in the journal: {e.Message}");
        }
    }

    private void Logged(IReadOnlyList<DeliveryRecord> deliveries)
    {
        foreach (var d in deliveries)
        {
            if (d.Succeeded)
            {
                _log.Write(LogLevel.Info, d.DedupKey, $"{Name(d.Kind)} sent through {d.Channel}");
            }
            else
            {
                _log.Write(LogLevel.Warning, d.DedupKey, $"{Name(d.Kind)} not delivered through {d.Channel} after {d.Attempts} attempt(s): {d.Error}");
            }
        }
    }

    private static string Name(NotificationKind kind) => kind switch
    {
        NotificationKind.Firing => "alert",
        NotificationKind.Reminder => "reminder",
        NotificationKind.Recovered => "recovery",
        NotificationKind.RunStarted => "start ping",
        NotificationKind.RunSucceeded => "success ping",
        _ => "test message",
    };
}

/// <summary>The reminder timer's turn.</summary>
internal sealed class Tick
{
    public static readonly Tick Instance = new();

    private Tick()
    {
    }
}
