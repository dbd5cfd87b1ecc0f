using Lifeboat.Agent.Alerts;

namespace Lifeboat.Agent.Notifications;

/// <summary>
/// One way out for notifications: e-mail, Slack, a webhook, PagerDuty, ntfy, a dead-man ping. One attempt per call;
/// retries, timeouts and journaling are <see cref="NotificationDispatcher"/>'s. A failure is a
/// <see cref="ChannelException"/> whose message names no secret (no webhook URL, token, routing key or password).
/// </summary>
internal interface INotificationChannel
{
    /// <summary>Sends <paramref name="notification"/> once.</summary>
    /// <exception cref="ChannelException">The channel did not accept it; <see cref="ChannelException.Transient"/> says whether to retry.</exception>
    Task SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>A channel did not accept a notification. The message is safe to journal and print: it names no secret.</summary>
internal sealed class ChannelException : Exception
{
    public ChannelException(string message, bool transient)
        : base(message)
    {
        Transient = transient;
    }

    public ChannelException(string message)
        : this(message, transient: false)
    {
    }

    public ChannelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ChannelException()
    {
    }

    /// <summary>Whether trying again may succeed (a timeout, a 5xx, a 429, a refused connection), or not (a 4xx, a bad login).</summary>
    public bool Transient { get; }
}

/// <summary>Keeps secrets out of messages: every occurrence of each secret becomes <c>***</c>.</summary>
internal static class Redaction
{
    /// <summary><paramref name="message"/> with each of <paramref name="secrets"/> (and a URL's path and query) replaced by <c>***</c>.</summary>
    public static string Scrub(string message, params string?[] secrets)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret))
            {
                continue;
            }

            message = message.Replace(secret, "***", StringComparison.Ordinal);
            if (Uri.TryCreate(secret, UriKind.Absolute, out var uri) && uri.PathAndQuery.Length > 1)
            {
                message = message.Replace(uri.PathAndQuery, "/***", StringComparison.Ordinal);
            }
        }

        return message;
    }

    /// <summary>A URL that is safe to print: scheme, host and port only (<c>https://hooks.slack.com/***</c>).</summary>
    public static string Url(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.GetLeftPart(UriPartial.Authority) + "/***";
    }
}
