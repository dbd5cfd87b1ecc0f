using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Notifications;

/// <summary>What a test message did on one channel (<c>lifeboat notify test</c>).</summary>
/// <param name="Name">The channel's name in the plan file.</param>
/// <param name="Type">Its <c>type:</c>.</param>
/// <param name="Delivered">Whether the channel accepted the message.</param>
/// <param name="Attempts">How many times it was tried (0 when the channel could not be set up).</param>
/// <param name="Error">Why not, naming no secret; null when delivered.</param>
public sealed record ChannelTestResult(string Name, string Type, bool Delivered, int Attempts, string? Error);

/// <summary>
/// Sends one test message, marked as a test and naming the plan file and the host, through channels of a plan file,
/// with the dispatcher's retries, and reports each channel. Nothing is journaled (no agent is running). A channel
/// that cannot be set up (an unset <c>${NAME}</c>) is a failed result; the others are still tried.
/// </summary>
public static class NotificationTest
{
    /// <summary>The plan name test messages carry (their dedup key is <c>notify-test/run</c>).</summary>
    public const string PlanName = "notify-test";

    /// <summary>Sends the test message through <paramref name="channels"/>; one result per channel, in their order.</summary>
    /// <param name="file">The plan file the channels are from (named in the message).</param>
    /// <param name="channels">The channels to test.</param>
    /// <param name="host">The host name named in the message.</param>
    /// <param name="environment">Resolves the channels' <c>${NAME}</c> secrets.</param>
    /// <param name="cancellationToken">Stops sending; then <see cref="OperationCanceledException"/> is thrown.</param>
    public static Task<IReadOnlyList<ChannelTestResult>> SendAsync(
        PlanFile.PlanFile file, IReadOnlyList<ChannelSettings> channels, string host, Func<string, string?> environment, CancellationToken cancellationToken) =>
        SendAsync(file, channels, host, environment, DeliveryPolicy.Default, TimeProvider.System, cancellationToken);

    internal static async Task<IReadOnlyList<ChannelTestResult>> SendAsync(
        PlanFile.PlanFile file,
        IReadOnlyList<ChannelSettings> channels,
        string host,
        Func<string, string?> environment,
        DeliveryPolicy policy,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(channels);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // each attempt's timeout is the dispatcher's
        var results = new ChannelTestResult?[channels.Count];
        var routes = new List<ChannelRoute>();
        for (var i = 0; i < channels.Count; i++)
        {
            try
            {
                routes.Add(ChannelFactory.Route(channels[i], environment, http));
            }
            catch (ChannelConfigurationException e)
            {
                results[i] = new ChannelTestResult(channels[i].Name, channels[i].Type, Delivered: false, Attempts: 0, e.Reason);
            }
        }

        var dispatcher = new NotificationDispatcher(routes, policy, time, journal: null);
        var deliveries = await dispatcher.DispatchAsync(Message(file.Path, host, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var delivery in deliveries)
        {
            var i = IndexOf(channels, delivery.Channel);
            results[i] = new ChannelTestResult(delivery.Channel, channels[i].Type, delivery.Succeeded, delivery.Attempts, delivery.Error);
        }

        return results.Select(r => r!).ToArray();
    }

    /// <summary>The test message: kind test, the plan file and the host in its text, and that nothing is wrong.</summary>
    internal static Notification Message(string planFile, string host, DateTimeOffset at) => new(
        NotificationKind.Test,
        PlanName,
        Condition: null,
        at,
        Detail: $"This is a test message sent by 'lifeboat notify test' on host {host} for the channels of the plan file {planFile}. Nothing is wrong: no plan ran.");

    private static int IndexOf(IReadOnlyList<ChannelSettings> channels, string name)
    {
        for (var i = 0; i < channels.Count; i++)
        {
            if (channels[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"no channel {name}");
    }
}
