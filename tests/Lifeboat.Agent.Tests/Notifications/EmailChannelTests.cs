using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Notifications;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Agent.Tests.Notifications;

public sealed class EmailChannelTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 9, 30, 0, TimeSpan.Zero);
    private static readonly DeliveryPolicy Quick = new(2, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(20));

    private static Notification Firing() =>
        new(NotificationKind.Firing, "app-6h", AlertCondition.BackupFailed, At, At, "pg_dump: connection refused");

    private static EmailChannelOptions Options(int port, string? user = null, string? password = null) =>
        new($"127.0.0.1:{port}", SmtpTls.None, user, password, "lifeboat@example.com", ["ops@example.com", "dba@example.com"]);

    [Fact]
    public async Task A_firing_alert_reaches_a_real_smtp_server_with_its_subject_text_and_dedup_key()
    {
        await using var maildev = await MaildevServer.StartAsync();
        await new EmailChannel(Options(maildev.SmtpPort)).SendAsync(Firing(), CancellationToken.None);

        var email = (await maildev.WaitForEmailsAsync(1, TimeSpan.FromSeconds(10))).Should().ContainSingle().Subject;
        email.Subject.Should().Be("[lifeboat] app-6h: backup failed");
        email.From.Should().Equal("lifeboat@example.com");
        email.To.Should().Equal("ops@example.com", "dba@example.com");
        email.Text.Should().Contain("pg_dump: connection refused").And.Contain("Alert: app-6h/backup_failed");
        email.Headers["x-lifeboat-dedup-key"].Should().Be("app-6h/backup_failed");
    }

    [Fact]
    public async Task A_server_that_requires_a_login_gets_one()
    {
        await using var maildev = await MaildevServer.StartAsync("lifeboat", "pa55word");
        await new EmailChannel(Options(maildev.SmtpPort, "lifeboat", "pa55word")).SendAsync(Firing(), CancellationToken.None);
        (await maildev.WaitForEmailsAsync(1, TimeSpan.FromSeconds(10))).Should().ContainSingle();
    }

    [Fact]
    public async Task A_refused_login_is_a_failed_delivery_that_names_no_password_and_is_not_retried()
    {
        await using var maildev = await MaildevServer.StartAsync("lifeboat", "pa55word");
        var routes = new[] { new ChannelRoute("ops-mail", new EmailChannel(Options(maildev.SmtpPort, "lifeboat", "wrong-pa55")), ChannelRoute.AlertEvents) };
        var delivery = (await new NotificationDispatcher(routes, Quick, TimeProvider.System, null).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeFalse();
        delivery.Attempts.Should().Be(1);
        delivery.Error.Should().Contain("refused the login").And.NotContain("wrong-pa55");
        (await maildev.EmailsAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unreachable_smtp_server_is_a_failed_delivery_after_the_retries()
    {
        var port = TestEnvironment.GetFreePort();
        var routes = new[] { new ChannelRoute("ops-mail", new EmailChannel(Options(port)), ChannelRoute.AlertEvents) };
        var delivery = (await new NotificationDispatcher(routes, Quick, TimeProvider.System, null).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeFalse();
        delivery.Attempts.Should().Be(2);
        delivery.Error.Should().Contain("cannot connect to the SMTP server");
    }

    [Fact]
    public void The_port_defaults_by_the_tls_mode()
    {
        EmailChannel.Endpoint(new EmailChannelOptions("smtp.example.com", SmtpTls.StartTls, null, null, "a@b", [])).Should().Be(("smtp.example.com", 587));
        EmailChannel.Endpoint(new EmailChannelOptions("smtp.example.com", SmtpTls.Tls, null, null, "a@b", [])).Should().Be(("smtp.example.com", 465));
        EmailChannel.Endpoint(new EmailChannelOptions("smtp.example.com:2525", SmtpTls.None, null, null, "a@b", [])).Should().Be(("smtp.example.com", 2525));
    }

    [Fact]
    public void The_options_print_without_the_password() =>
        Options(25, "u", "pa55word").ToString().Should().NotContain("pa55word");

    [Fact]
    public async Task Starttls_to_a_server_that_does_not_offer_it_fails_and_never_falls_back_to_plain_text()
    {
        await using var maildev = await MaildevServer.StartAsync();
        var options = Options(maildev.SmtpPort) with { Tls = SmtpTls.StartTls };
        var routes = new[] { new ChannelRoute("ops-mail", new EmailChannel(options), ChannelRoute.AlertEvents) };
        var delivery = (await new NotificationDispatcher(routes, Quick, TimeProvider.System, null).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeFalse();
        delivery.Attempts.Should().Be(1, "a missing extension is not transient");
        delivery.Error.Should().EndWith("the SMTP server does not support what the channel needs: The SMTP server does not support the STARTTLS extension.");
        (await maildev.EmailsAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Implicit_tls_to_a_server_with_an_untrusted_certificate_is_a_failed_delivery_that_is_not_retried()
    {
        await using var maildev = await MaildevServer.StartAsync(implicitTls: true);
        var options = Options(maildev.SmtpPort) with { Tls = SmtpTls.Tls };
        var routes = new[] { new ChannelRoute("ops-mail", new EmailChannel(options), ChannelRoute.AlertEvents) };
        var delivery = (await new NotificationDispatcher(routes, Quick, TimeProvider.System, null).DispatchAsync(Firing(), CancellationToken.None)).Single();
        delivery.Succeeded.Should().BeFalse();
        delivery.Attempts.Should().Be(1);
        delivery.Error.Should().EndWith("the TLS handshake with the SMTP server failed");
        // no look at maildev's mail here: maildev 2.2.1 exits when a client refuses its certificate
    }
}
