using System.Text.Json;
using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;
using Lifeboat.Agent.Tests.Notifications;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Agent.Tests.Alerts;

public sealed class AlertPipelineTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lifeboat-alerts-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Start);
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<(RunJournal Journal, AlertPipeline Pipeline)> StartAgentAsync(Uri hook)
    {
        var journal = await RunJournal.OpenAsync(Path.Combine(_folder, "journal.db"), _time, CancellationToken.None);
        var routes = new[] { new ChannelRoute("hook", new WebhookChannel(new WebhookChannelOptions(hook, "s"), _http), ChannelRoute.AlertEvents) };
        var dispatcher = new NotificationDispatcher(routes, new DeliveryPolicy(1, TimeSpan.Zero, TimeSpan.FromSeconds(10)), _time, journal);
        return (journal, await AlertPipeline.StartAsync(journal, dispatcher, _time, TimeSpan.FromHours(4), CancellationToken.None));
    }

    private AlertObservation Failed() => AlertObservation.Failing("app-6h", AlertCondition.BackupFailed, _time.GetUtcNow(), "connection refused");

    [Fact]
    public async Task One_failure_message_survives_a_restart_then_one_recovered_and_every_delivery_is_journaled()
    {
        await using var receiver = LoopbackReceiver.Start();
        var (journal, pipeline) = await StartAgentAsync(receiver.Url("/h"));
        (await pipeline.ObserveAsync(Failed(), CancellationToken.None)).Should().ContainSingle().Which.Succeeded.Should().BeTrue();
        _time.Advance(TimeSpan.FromHours(1));
        (await pipeline.ObserveAsync(Failed(), CancellationToken.None)).Should().BeEmpty();
        pipeline.Dispose();
        await journal.DisposeAsync();

        _time.Advance(TimeSpan.FromHours(1));
        (journal, pipeline) = await StartAgentAsync(receiver.Url("/h"));
        await using (journal)
        using (pipeline)
        {
            pipeline.Active.Should().ContainSingle();
            (await pipeline.ObserveAsync(Failed(), CancellationToken.None)).Should().BeEmpty("the firing was sent before the restart");
            (await pipeline.TickAsync(CancellationToken.None)).Should().BeEmpty();
            _time.Advance(TimeSpan.FromHours(2));
            (await pipeline.TickAsync(CancellationToken.None)).Should().ContainSingle("four hours since the firing");
            _time.Advance(TimeSpan.FromMinutes(30));
            await pipeline.ObserveAsync(AlertObservation.Healthy("app-6h", AlertCondition.BackupFailed, _time.GetUtcNow()), CancellationToken.None);

            var kinds = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("kind").GetString());
            kinds.Should().Equal("firing", "reminder", "recovered");
            (await journal.LoadAlertsAsync(CancellationToken.None)).Should().BeEmpty();
            (await journal.RecentDeliveriesAsync(10, CancellationToken.None)).Select(d => d.Kind)
                .Should().Equal(NotificationKind.Recovered, NotificationKind.Reminder, NotificationKind.Firing);
        }
    }

    [Fact]
    public async Task A_receiver_that_is_down_is_a_failed_delivery_and_the_alert_is_still_remembered()
    {
        await using var receiver = LoopbackReceiver.Start(500);
        var (journal, pipeline) = await StartAgentAsync(receiver.Url("/h"));
        await using (journal)
        using (pipeline)
        {
            var delivery = (await pipeline.ObserveAsync(Failed(), CancellationToken.None)).Single();
            delivery.Succeeded.Should().BeFalse();
            (await journal.LoadAlertsAsync(CancellationToken.None)).Should().ContainSingle().Which.Key.Should().Be("app-6h/backup_failed");
        }
    }
}
