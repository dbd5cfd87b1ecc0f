using System.Text.Json;
using Lifeboat.Agent.Tests.Notifications;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Cli.Tests;

public sealed class NotifyCommandTests : IDisposable
{
    private const string SmtpPassword = "smtp-pa55-secret";
    private const string HookSecret = "hook-hmac-secret";

    private readonly string _dir = Directory.CreateTempSubdirectory("lifeboat-notify-").FullName;
    private readonly CliRunner _cli = new();

    public NotifyCommandTests()
    {
        _cli.Environment["LIFEBOAT_CONFIG"] = null;
        _cli.Environment["SMTP_PASSWORD"] = SmtpPassword;
        _cli.Environment["HOOK_SECRET"] = HookSecret;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(int smtpPort, Uri hook)
    {
        var path = Path.Combine(_dir, "lifeboat.yaml");
        File.WriteAllText(path, $$"""
            repositories:
              main:
                url: /srv/lifeboat
                password: ${LIFEBOAT_PASSWORD}
            sources:
              app:
                db: postgres://backup@localhost/app
            plans:
              app-6h:
                source: app
                repository: main
                notify: [ops-mail, hook]
                backup:
                  schedule: every 6h
            channels:
              ops-mail:
                type: email
                smtp: 127.0.0.1:{{smtpPort}}
                tls: none
                username: lifeboat
                password: ${SMTP_PASSWORD}
                from: lifeboat@example.com
                to: [ops@example.com]
                events: [failure]
              hook:
                type: webhook
                url: {{hook}}
                secret: ${HOOK_SECRET}
            """);
        return path;
    }

    [Fact]
    public async Task A_test_message_reaches_a_real_smtp_server_and_a_webhook_answering_500_is_reported_failed_with_its_own_exit_code()
    {
        await using var maildev = await MaildevServer.StartAsync("lifeboat", SmtpPassword);
        await using var hook = LoopbackReceiver.Start(500);
        var path = Write(maildev.SmtpPort, hook.Url("/lifeboat/hook-path-secret"));

        var result = await _cli.RunAsync("notify", "test", "--config", path);

        result.ExitCode.Should().Be(41, result.ToString());
        result.Out.Should().Be(
            "ops-mail (email): delivered\n"
            + $"hook (webhook): FAILED: webhook {hook.BaseUrl.GetLeftPart(UriPartial.Authority)}/***: HTTP 500 (InternalServerError)\n");
        result.Stderr.Should().Contain($"through 2 channels of {path}").And.Contain("1 of 2 channels did not take the test message");
        hook.Requests.Should().HaveCount(4, "the dispatcher tries a 5xx 4 times");
        var email = (await maildev.WaitForEmailsAsync(1, TimeSpan.FromSeconds(10))).Should().ContainSingle().Subject;
        email.Subject.Should().Be("[lifeboat] notify-test: test message");
        email.To.Should().Equal("ops@example.com");
        email.Text.Should().Contain("test message").And.Contain(path).And.Contain(Environment.MachineName);
        foreach (var secret in new[] { SmtpPassword, HookSecret, "hook-path-secret" })
        {
            (result.Out + result.Stderr).Should().NotContain(secret);
        }
    }

    [Fact]
    public async Task Json_reports_each_channel_and_only_the_one_named_is_tried()
    {
        await using var hook = LoopbackReceiver.Start(200);
        var path = Write(TestEnvironment.GetFreePort(), hook.Url("/h"));
        _cli.Environment["LIFEBOAT_CONFIG"] = path;

        var result = await _cli.RunAsync("notify", "test", "hook", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        json.RootElement.GetProperty("file").GetString().Should().Be(path);
        json.RootElement.GetProperty("exitCode").GetInt32().Should().Be(0);
        var channel = json.RootElement.GetProperty("channels").EnumerateArray().Should().ContainSingle().Subject;
        channel.GetProperty("name").GetString().Should().Be("hook");
        channel.GetProperty("type").GetString().Should().Be("webhook");
        channel.GetProperty("delivered").GetBoolean().Should().BeTrue();
        channel.GetProperty("attempts").GetInt32().Should().Be(1);
        channel.TryGetProperty("error", out _).Should().BeFalse();
        var request = hook.Requests.Should().ContainSingle().Subject;
        using var body = JsonDocument.Parse(request.Body);
        body.RootElement.GetProperty("kind").GetString().Should().Be("test");
        request.Headers.Should().ContainKey("X-Lifeboat-Signature");
    }

    [Fact]
    public async Task An_unset_secret_variable_fails_that_channel_naming_the_variable_and_the_others_are_still_tried()
    {
        await using var hook = LoopbackReceiver.Start(200);
        var path = Write(TestEnvironment.GetFreePort(), hook.Url("/h"));
        _cli.Environment["SMTP_PASSWORD"] = null;

        var result = await _cli.RunAsync("notify", "test", "--config", path);

        result.ExitCode.Should().Be(41, result.ToString());
        result.Out.Should().Be(
            "ops-mail (email): FAILED: the environment variable SMTP_PASSWORD named by the plan file is not set\n"
            + "hook (webhook): delivered\n");
        hook.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task An_unknown_channel_is_a_usage_error_naming_the_channels_there_are()
    {
        await using var hook = LoopbackReceiver.Start(200);
        var path = Write(TestEnvironment.GetFreePort(), hook.Url("/h"));

        var result = await _cli.RunAsync("notify", "test", "slack", "--config", path);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain($"lifeboat: no channel 'slack' in {path} (channels: ops-mail, hook)");
        result.Out.Should().BeEmpty();
        hook.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task An_invalid_plan_file_prints_its_errors_and_exits_40_and_a_missing_one_is_a_usage_error()
    {
        var path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, "channels:\n  hook:\n    type: webhok\n");

        var invalid = await _cli.RunAsync("notify", "test", "--config", path);
        var missing = await _cli.RunAsync("notify", "test", "--config", Path.Combine(_dir, "none.yaml"));

        invalid.ExitCode.Should().Be(40, invalid.ToString());
        invalid.Stderr.Should().Contain($"{path}:3:11: error: unknown channel type 'webhok'");
        missing.ExitCode.Should().Be(2, missing.ToString());
        missing.Stderr.Should().Contain("no plan file at");
    }
}
