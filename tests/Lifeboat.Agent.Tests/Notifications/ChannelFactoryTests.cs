using System.Text.Json;
using Lifeboat.Agent.Notifications;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Tests.Notifications;

public sealed class ChannelFactoryTests
{
    private static readonly DeliveryPolicy Quick = new(2, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10));

    private static readonly Dictionary<string, string> Variables = new(StringComparer.Ordinal)
    {
        ["SMTP_PASSWORD"] = "smtp-secret-value",
        ["SLACK_URL"] = "https://hooks.slack.com/services/T0/B0/slack-secret-path",
        ["HOOK_SECRET"] = "hook-secret-value",
        ["PD_KEY"] = "pd-secret-key",
        ["NTFY_TOKEN"] = "ntfy-secret-token",
    };

    private static string? Environment(string name) => Variables.GetValueOrDefault(name);

    private static string? NoVariables(string name) => null;

    private static EmailChannelSettings Email(string tls = "starttls", EnvReference? password = null) =>
        new("ops-mail", [], "smtp.example.com:2525", tls, "lifeboat", password ?? new EnvReference("SMTP_PASSWORD"), "lifeboat@example.com", ["ops@example.com"]);

    [Fact]
    public void An_email_channel_gets_its_server_tls_mode_login_and_the_password_from_the_environment()
    {
        var options = ChannelFactory.Options(Email(), Environment);

        options.Should().Be(new EmailChannelOptions("smtp.example.com:2525", SmtpTls.StartTls, "lifeboat", "smtp-secret-value", "lifeboat@example.com", options.To));
        options.To.Should().Equal("ops@example.com");
        ChannelFactory.Options(Email("tls"), Environment).Tls.Should().Be(SmtpTls.Tls);
        ChannelFactory.Options(Email("none"), Environment).Tls.Should().Be(SmtpTls.None);
    }

    [Fact]
    public void The_http_channels_get_their_urls_and_resolved_secrets()
    {
        ChannelFactory.Options(new SlackChannelSettings("slack", [], new EnvReference("SLACK_URL")), Environment).WebhookUrl
            .Should().Be(new Uri(Variables["SLACK_URL"]));
        ChannelFactory.Options(new WebhookChannelSettings("hook", [], "https://example.com/hook", new EnvReference("HOOK_SECRET")), Environment)
            .Should().Be(new WebhookChannelOptions(new Uri("https://example.com/hook"), "hook-secret-value"));
        ChannelFactory.Options(new WebhookChannelSettings("hook", [], "https://example.com/hook", null), Environment).Secret.Should().BeNull();
        ChannelFactory.Options(new PagerDutyChannelSettings("pd", [], new EnvReference("PD_KEY"), null), Environment)
            .Should().Be(new PagerDutyChannelOptions("pd-secret-key"));
        ChannelFactory.Options(new PagerDutyChannelSettings("pd", [], new EnvReference("PD_KEY"), "http://127.0.0.1:9/"), Environment).Url
            .Should().Be(new Uri("http://127.0.0.1:9/"));
        ChannelFactory.Options(new NtfyChannelSettings("ntfy", [], "https://ntfy.sh/topic", new EnvReference("NTFY_TOKEN")), Environment)
            .Should().Be(new NtfyChannelOptions(new Uri("https://ntfy.sh/topic"), "ntfy-secret-token"));
        ChannelFactory.Options(new PingChannelSettings("ping", [], "https://hc-ping.com/uuid")).Url.Should().Be(new Uri("https://hc-ping.com/uuid"));
    }

    [Fact]
    public void An_unset_variable_is_an_error_naming_the_variable_and_the_channel()
    {
        var act = () => ChannelFactory.Options(Email(), NoVariables);

        var error = act.Should().Throw<ChannelConfigurationException>().Which;
        error.Channel.Should().Be("ops-mail");
        error.Message.Should().Be("channel ops-mail: the environment variable SMTP_PASSWORD named by the plan file is not set");
        error.Reason.Should().Be("the environment variable SMTP_PASSWORD named by the plan file is not set");
    }

    [Fact]
    public void An_empty_variable_counts_as_unset()
    {
        var act = () => ChannelFactory.Options(new SlackChannelSettings("slack", [], new EnvReference("SLACK_URL")), name => "");

        act.Should().Throw<ChannelConfigurationException>().WithMessage("channel slack: the environment variable SLACK_URL *not set");
    }

    [Fact]
    public void A_secret_that_is_not_a_url_is_an_error_naming_the_key_but_not_the_value()
    {
        var act = () => ChannelFactory.Options(new SlackChannelSettings("slack", [], new EnvReference("SLACK_URL")), name => "not-a-url-but-secret");

        var error = act.Should().Throw<ChannelConfigurationException>().Which;
        error.Message.Should().Be("channel slack: 'webhook_url' is not an absolute http or https URL");
        ((Action)(() => ChannelFactory.Options(new PingChannelSettings("ping", [], "ftp://example.com/x")))).Should().Throw<ChannelConfigurationException>()
            .WithMessage("channel ping: 'url' is not *");
    }

    [Fact]
    public void A_route_takes_the_channels_events_or_its_types_default()
    {
        using var http = new HttpClient();
        ChannelFactory.Route(new WebhookChannelSettings("hook", ["failure"], "https://example.com/h", null), Environment, http).Events
            .Should().BeEquivalentTo(["failure"]);
        ChannelFactory.Route(new WebhookChannelSettings("hook", [], "https://example.com/h", null), Environment, http).Events
            .Should().BeSameAs(ChannelRoute.AlertEvents);
        var ping = ChannelFactory.Route(new PingChannelSettings("ping", [], "https://hc-ping.com/uuid"), Environment, http);
        ping.Events.Should().BeSameAs(ChannelRoute.PingEvents);
        ping.Name.Should().Be("ping");
        ping.Channel.Should().BeOfType<PingChannel>();
        ChannelFactory.Channel(Email(), Environment, http).Should().BeOfType<EmailChannel>();
        ChannelFactory.Channel(new SlackChannelSettings("slack", [], new EnvReference("SLACK_URL")), Environment, http).Should().BeOfType<SlackChannel>();
        ChannelFactory.Channel(new PagerDutyChannelSettings("pd", [], new EnvReference("PD_KEY"), null), Environment, http).Should().BeOfType<PagerDutyChannel>();
        ChannelFactory.Channel(new NtfyChannelSettings("ntfy", [], "https://ntfy.sh/t", null), Environment, http).Should().BeOfType<NtfyChannel>();
    }

    [Fact]
    public async Task A_test_message_reports_each_channel_and_a_channel_that_cannot_be_set_up_does_not_stop_the_others()
    {
        await using var good = LoopbackReceiver.Start(200);
        await using var bad = LoopbackReceiver.Start(500);
        var file = new PlanFile.PlanFile("/etc/lifeboat.yaml", AgentSettings.Default, [], [], [], []);
        ChannelSettings[] channels =
        [
            new WebhookChannelSettings("good", ["failure"], good.Url("/ok").ToString(), new EnvReference("HOOK_SECRET")),
            Email(password: new EnvReference("UNSET_SMTP_PASSWORD")),
            new WebhookChannelSettings("bad", [], bad.Url("/fail").ToString(), null),
        ];

        var results = await NotificationTest.SendAsync(file, channels, "db1.example.com", Environment, Quick, TimeProvider.System, CancellationToken.None);

        results.Should().Equal(
            new ChannelTestResult("good", "webhook", true, 1, null),
            new ChannelTestResult("ops-mail", "email", false, 0, "the environment variable UNSET_SMTP_PASSWORD named by the plan file is not set"),
            new ChannelTestResult("bad", "webhook", false, 2, $"webhook {bad.BaseUrl.GetLeftPart(UriPartial.Authority)}/***: HTTP 500 (InternalServerError)"));
        bad.Requests.Should().HaveCount(2);
        using var json = JsonDocument.Parse(good.Requests.Should().ContainSingle().Subject.Body);
        json.RootElement.GetProperty("kind").GetString().Should().Be("test");
        json.RootElement.GetProperty("plan").GetString().Should().Be("notify-test");
        json.RootElement.GetProperty("summary").GetString().Should().Be("[lifeboat] notify-test: test message");
        json.RootElement.GetProperty("detail").GetString().Should().Contain("db1.example.com").And.Contain("/etc/lifeboat.yaml").And.Contain("test message");
    }
}
