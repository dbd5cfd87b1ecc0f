using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;

namespace Lifeboat.Agent.Tests.Notifications;

public sealed class HttpChannelTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 9, 30, 0, TimeSpan.Zero);
    private static readonly DeliveryPolicy Quick = new(3, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10));
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static Notification Firing(string detail = "connection refused") =>
        new(NotificationKind.Firing, "app-6h", AlertCondition.BackupFailed, At, At.AddMinutes(-5), detail);

    private static Notification Recovered() =>
        new(NotificationKind.Recovered, "app-6h", AlertCondition.BackupFailed, At.AddMinutes(90), At);

    private NotificationDispatcher Dispatcher(string name, INotificationChannel channel, RunJournal? journal = null, DeliveryPolicy? policy = null) =>
        new([new ChannelRoute(name, channel, ChannelRoute.AlertEvents)], policy ?? Quick, TimeProvider.System, journal);

    [Fact]
    public async Task The_webhook_posts_the_documented_json_signed_with_hmac_sha256_of_the_body()
    {
        await using var receiver = LoopbackReceiver.Start();
        var channel = new WebhookChannel(new WebhookChannelOptions(receiver.Url("/lifeboat"), "s3cret"), _http);
        var delivery = (await Dispatcher("hook", channel).DispatchAsync(Firing(), CancellationToken.None)).Single();

        delivery.Succeeded.Should().BeTrue();
        delivery.Attempts.Should().Be(1);
        var request = receiver.Requests.Should().ContainSingle().Subject;
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/lifeboat");
        request.Headers["Content-Type"].Should().StartWith("application/json");
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), request.Body));
        request.Headers["X-Lifeboat-Signature"].Should().Be(expected);

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        root.GetProperty("version").GetInt32().Should().Be(1);
        root.GetProperty("kind").GetString().Should().Be("firing");
        root.GetProperty("event").GetString().Should().Be("failure");
        root.GetProperty("plan").GetString().Should().Be("app-6h");
        root.GetProperty("condition").GetString().Should().Be("backup_failed");
        root.GetProperty("dedup_key").GetString().Should().Be("app-6h/backup_failed");
        root.GetProperty("detail").GetString().Should().Be("connection refused");
        root.GetProperty("at").GetString().Should().Be("2026-12-07T09:30:00Z");
        root.GetProperty("since").GetString().Should().Be("2026-12-07T09:25:00Z");
    }

    [Fact]
    public async Task A_recovery_on_the_webhook_says_how_long_it_was_broken()
    {
        await using var receiver = LoopbackReceiver.Start();
        var channel = new WebhookChannel(new WebhookChannelOptions(receiver.Url("/h"), null), _http);
        await Dispatcher("hook", channel).DispatchAsync(Recovered(), CancellationToken.None);
        var request = receiver.Requests.Single();
        request.Headers.Should().NotContainKey("X-Lifeboat-Signature", "the channel has no secret");
        using var json = JsonDocument.Parse(request.Body);
        json.RootElement.GetProperty("kind").GetString().Should().Be("recovered");
        json.RootElement.GetProperty("broken_for_seconds").GetInt64().Should().Be(5400);
    }

    [Fact]
    public async Task A_receiver_answering_500_then_200_gets_the_notification_on_the_second_attempt()
    {
        await using var receiver = LoopbackReceiver.Start(500, 200);
        var channel = new WebhookChannel(new WebhookChannelOptions(receiver.Url("/h"), "k"), _http);
        var delivery = (await Dispatcher("hook", channel).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeTrue();
        delivery.Attempts.Should().Be(2);
        receiver.Requests.Should().HaveCount(2);
        receiver.Requests[1].Body.Should().Equal(receiver.Requests[0].Body);
    }

    [Fact]
    public async Task A_receiver_always_answering_500_gives_a_journaled_failed_delivery_not_an_exception()
    {
        var folder = Path.Combine(Path.GetTempPath(), "lifeboat-deliveries-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var receiver = LoopbackReceiver.Start(500);
            await using var journal = await RunJournal.OpenAsync(Path.Combine(folder, "journal.db"), TimeProvider.System, CancellationToken.None);
            var secretUrl = receiver.Url("/services/T000/B000/XXXXSECRET");
            var channel = new SlackChannel(new SlackChannelOptions(secretUrl), _http);
            var delivery = (await Dispatcher("slack", channel, journal).DispatchAsync(Firing(), CancellationToken.None)).Single();

            delivery.Succeeded.Should().BeFalse();
            delivery.Attempts.Should().Be(3);
            delivery.Error.Should().Contain("HTTP 500").And.NotContain("XXXXSECRET");
            receiver.Requests.Should().HaveCount(3);
            (await journal.RecentDeliveriesAsync(10, CancellationToken.None)).Should().ContainSingle().Which.Should().Be(delivery);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_client_error_is_not_retried()
    {
        await using var receiver = LoopbackReceiver.Start(400);
        var channel = new SlackChannel(new SlackChannelOptions(receiver.Url("/s")), _http);
        var delivery = (await Dispatcher("slack", channel).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeFalse();
        delivery.Attempts.Should().Be(1);
        delivery.Error.Should().Contain("HTTP 400");
    }

    [Fact]
    public async Task An_unreachable_receiver_is_a_failed_delivery_whose_message_holds_no_secret_path()
    {
        var port = Lifeboat.Testing.Emulators.TestEnvironment.GetFreePort();
        var channel = new PingChannel(new PingChannelOptions(new Uri($"http://127.0.0.1:{port}/ping/1b2c3d4e-secret")), _http);
        var routes = new[] { new ChannelRoute("deadman", channel, ChannelRoute.PingEvents) };
        var delivery = (await new NotificationDispatcher(routes, Quick, TimeProvider.System, null).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeFalse();
        delivery.Attempts.Should().Be(3, "a refused connection is transient");
        delivery.Error.Should().Contain("ConnectionRefused").And.NotContain("1b2c3d4e");
    }

    [Fact]
    public async Task Slack_gets_the_summary_and_detail_as_text()
    {
        await using var receiver = LoopbackReceiver.Start();
        await new SlackChannel(new SlackChannelOptions(receiver.Url("/s")), _http).SendAsync(Firing(), CancellationToken.None);
        using var json = JsonDocument.Parse(receiver.Requests.Single().Body);
        json.RootElement.GetProperty("text").GetString().Should().Be("[lifeboat] app-6h: backup failed\nconnection refused");
    }

    [Fact]
    public async Task PagerDuty_triggers_then_resolves_with_the_same_dedup_key()
    {
        await using var receiver = LoopbackReceiver.Start(202);
        var channel = new PagerDutyChannel(new PagerDutyChannelOptions("R0UTINGKEY", receiver.BaseUrl), _http);
        await channel.SendAsync(Firing(), CancellationToken.None);
        await channel.SendAsync(Recovered(), CancellationToken.None);

        receiver.Requests.Select(r => r.Path).Should().Equal("/v2/enqueue", "/v2/enqueue");
        using var trigger = JsonDocument.Parse(receiver.Requests[0].Body);
        trigger.RootElement.GetProperty("routing_key").GetString().Should().Be("R0UTINGKEY");
        trigger.RootElement.GetProperty("event_action").GetString().Should().Be("trigger");
        trigger.RootElement.GetProperty("dedup_key").GetString().Should().Be("app-6h/backup_failed");
        var payload = trigger.RootElement.GetProperty("payload");
        payload.GetProperty("summary").GetString().Should().Be("[lifeboat] app-6h: backup failed");
        payload.GetProperty("source").GetString().Should().Be("lifeboat");
        payload.GetProperty("severity").GetString().Should().Be("error");
        payload.GetProperty("timestamp").GetString().Should().Be("2026-12-07T09:30:00Z");
        payload.GetProperty("custom_details").GetProperty("detail").GetString().Should().Be("connection refused");

        using var resolve = JsonDocument.Parse(receiver.Requests[1].Body);
        resolve.RootElement.GetProperty("event_action").GetString().Should().Be("resolve");
        resolve.RootElement.GetProperty("dedup_key").GetString().Should().Be("app-6h/backup_failed");
        resolve.RootElement.TryGetProperty("payload", out _).Should().BeFalse();
    }

    [Fact]
    public async Task A_PagerDuty_test_opens_an_incident_and_resolves_it_so_no_one_is_left_paged()
    {
        await using var receiver = LoopbackReceiver.Start(202);
        var channel = new PagerDutyChannel(new PagerDutyChannelOptions("R0UTINGKEY", receiver.BaseUrl), _http);

        await channel.SendAsync(NotificationTest.Message("lifeboat.yaml", "backup-host", new DateTimeOffset(2026, 12, 7, 9, 30, 0, TimeSpan.Zero)), CancellationToken.None);

        var actions = receiver.Requests.Select(r =>
        {
            using var json = JsonDocument.Parse(r.Body);
            return (json.RootElement.GetProperty("event_action").GetString(), json.RootElement.GetProperty("dedup_key").GetString());
        });
        actions.Should().Equal(("trigger", "notify-test/run"), ("resolve", "notify-test/run"));
    }

    [Fact]
    public async Task A_PagerDuty_error_names_no_routing_key()
    {
        await using var receiver = LoopbackReceiver.Start(400);
        var channel = new PagerDutyChannel(new PagerDutyChannelOptions("R0UTINGKEY", receiver.BaseUrl), _http);
        var send = () => channel.SendAsync(Firing(), CancellationToken.None);
        (await send.Should().ThrowAsync<ChannelException>()).Which.Message.Should().Contain("HTTP 400").And.NotContain("R0UTINGKEY");
    }

    [Fact]
    public async Task Ntfy_posts_to_the_topic_with_title_priority_tags_and_the_bearer_token()
    {
        await using var receiver = LoopbackReceiver.Start();
        var channel = new NtfyChannel(new NtfyChannelOptions(receiver.Url("/my-topic"), "tk_123"), _http);
        await channel.SendAsync(Firing(), CancellationToken.None);
        await channel.SendAsync(new Notification(NotificationKind.Firing, "plan-é", AlertCondition.Overdue, At), CancellationToken.None);

        var request = receiver.Requests[0];
        request.Path.Should().Be("/my-topic");
        request.Headers["Title"].Should().Be("[lifeboat] app-6h: backup failed");
        request.Headers["Priority"].Should().Be("5");
        request.Headers["Tags"].Should().Be("rotating_light");
        request.Headers["Authorization"].Should().Be("Bearer tk_123");
        request.Text.Should().Be("connection refused");
        receiver.Requests[1].Headers["Title"].Should().Be("=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("[lifeboat] plan-é: overdue")) + "?=");
    }

    [Fact]
    public async Task The_ping_channel_pings_start_success_and_fail()
    {
        await using var receiver = LoopbackReceiver.Start();
        var channel = new PingChannel(new PingChannelOptions(receiver.Url("/ping/uuid")), _http);
        await channel.SendAsync(new Notification(NotificationKind.RunStarted, "app-6h", null, At), CancellationToken.None);
        await channel.SendAsync(new Notification(NotificationKind.RunSucceeded, "app-6h", null, At), CancellationToken.None);
        await channel.SendAsync(Firing(), CancellationToken.None);
        await channel.SendAsync(Recovered(), CancellationToken.None);

        receiver.Requests.Select(r => r.Path).Should().Equal("/ping/uuid/start", "/ping/uuid", "/ping/uuid/fail");
        receiver.Requests[2].Text.Should().Contain("connection refused");
    }

    [Fact]
    public async Task A_channel_gets_only_the_events_it_asked_for_and_always_a_test()
    {
        await using var receiver = LoopbackReceiver.Start();
        var channel = new WebhookChannel(new WebhookChannelOptions(receiver.Url("/h"), null), _http);
        var routes = new[] { new ChannelRoute("hook", channel, new HashSet<string> { "recovered" }) };
        var dispatcher = new NotificationDispatcher(routes, Quick, TimeProvider.System, null);
        (await dispatcher.DispatchAsync(Firing(), CancellationToken.None)).Should().BeEmpty();
        (await dispatcher.DispatchAsync(Recovered(), CancellationToken.None)).Should().ContainSingle();
        (await dispatcher.DispatchAsync(new Notification(NotificationKind.Test, "app-6h", null, At), CancellationToken.None)).Should().ContainSingle();
        receiver.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_failed_webhook_is_named_by_scheme_host_and_port_only_whatever_its_secret()
    {
        await using var receiver = LoopbackReceiver.Start(503);
        var channel = new WebhookChannel(new WebhookChannelOptions(receiver.Url("/hooks/t0ps3cret-path"), "k"), _http);
        var delivery = (await Dispatcher("hook", channel).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Error.Should().Be($"webhook http://127.0.0.1:{receiver.BaseUrl.Port}/***: HTTP 503 (ServiceUnavailable)");
    }

    [Fact]
    public void Redaction_replaces_each_secret_and_a_secret_url_path()
    {
        Redaction.Scrub("login pa55 refused for pa55", "pa55", null, "").Should().Be("login *** refused for ***");
        Redaction.Scrub("GET /services/T0/B0 failed", "https://hooks.slack.com/services/T0/B0").Should().Be("GET /*** failed");
        Redaction.Url(new Uri("https://hooks.slack.com/services/T0/B0?x=1")).Should().Be("https://hooks.slack.com/***");
    }
}
