using System.Globalization;
using System.Net.Sockets;
using Lifeboat.Agent.Alerts;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Lifeboat.Agent.Notifications;

/// <summary>
/// E-mail through SMTP (MailKit): STARTTLS, implicit TLS or none, with a login when the channel has one. One
/// connection per message (notifications are rare; a held connection would time out between them).
/// </summary>
internal sealed class EmailChannel(EmailChannelOptions options) : INotificationChannel
{
    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind is NotificationKind.RunStarted or NotificationKind.RunSucceeded)
        {
            return;
        }

        var (host, port) = Endpoint(options);
        using var message = Message(options, notification);
        using var client = new SmtpClient();
        try
        {
            var security = options.Tls switch
            {
                SmtpTls.StartTls => SecureSocketOptions.StartTls,
                SmtpTls.Tls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(host, port, security, cancellationToken);
            if (options.Username is { Length: > 0 } username)
            {
                await client.AuthenticateAsync(username, options.Password ?? string.Empty, cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception e) when (Failure(e) is { } failure)
        {
            // the server's and the library's text is scrubbed of the password; the rest of the message is built from safe parts
            throw new ChannelException($"{options}: {Redaction.Scrub(failure.Message, options.Password)}", failure.Transient);
        }
    }

    /// <summary>The message: subject the summary, plain-text body the text and the dedup key.</summary>
    internal static MimeMessage Message(EmailChannelOptions options, Notification notification)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From));
        foreach (var to in options.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = notification.Summary;
        message.Date = notification.At;
        message.Headers.Add("X-Lifeboat-Dedup-Key", notification.DedupKey);
        message.Body = new TextPart("plain") { Text = $"{NotificationJson.Text(notification)}\n\nPlan: {notification.Plan}\nAlert: {notification.DedupKey}\nAt: {NotificationJson.Timestamp(notification.At)}\n" };
        return message;
    }

    /// <summary>Host and port of <c>HOST:PORT</c>; without a port, 587 for starttls, 465 for tls, 25 for none.</summary>
    internal static (string Host, int Port) Endpoint(EmailChannelOptions options)
    {
        var colon = options.Smtp.LastIndexOf(':');
        if (colon > 0 && !options.Smtp.EndsWith(']') && int.TryParse(options.Smtp.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return (options.Smtp[..colon].Trim('[', ']'), port);
        }

        return (options.Smtp.Trim('[', ']'), options.Tls switch { SmtpTls.StartTls => 587, SmtpTls.Tls => 465, _ => 25 });
    }

    private static (string Message, bool Transient)? Failure(Exception e) => e switch
    {
        AuthenticationException => ("the SMTP server refused the login", false),
        SmtpCommandException command => ($"the SMTP server answered {(int)command.StatusCode} {command.Message}", (int)command.StatusCode is >= 400 and < 500),
        SmtpProtocolException protocol => ($"SMTP protocol error: {protocol.Message}", true),
        SslHandshakeException => ("the TLS handshake with the SMTP server failed", false),
        SocketException socket => ($"cannot connect to the SMTP server ({socket.SocketErrorCode})", true),
        IOException io => ($"the connection to the SMTP server failed: {io.Message}", true),
        ServiceNotConnectedException or ServiceNotAuthenticatedException => (e.Message, true),
        NotSupportedException => ($"the SMTP server does not support what the channel needs: {e.Message}", false),
        _ => null,
    };
}
