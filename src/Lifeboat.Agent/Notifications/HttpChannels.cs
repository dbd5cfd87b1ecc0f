using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lifeboat.Agent.Alerts;

namespace Lifeboat.Agent.Notifications;

/// <summary>A Slack incoming webhook: <c>{"text": "..."}</c> POSTed to the webhook URL (the URL is the secret).</summary>
internal sealed class SlackChannel(SlackChannelOptions options, HttpClient http) : INotificationChannel
{
    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("text", NotificationJson.Text(notification));
            json.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, options.WebhookUrl) { Content = JsonContent(buffer.ToArray()) };
        await HttpDelivery.SendAsync(http, request, options.ToString(), cancellationToken);
    }

    internal static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }
}

/// <summary>
/// The generic JSON webhook: <see cref="NotificationJson"/>'s body POSTed to the URL, with
/// <c>X-Lifeboat-Signature: sha256=HEX</c>, the lower-case hex HMAC-SHA256 of the exact body bytes keyed with the
/// channel's secret (UTF-8), when it has one.
/// </summary>
internal sealed class WebhookChannel(WebhookChannelOptions options, HttpClient http) : INotificationChannel
{
    /// <summary>The signature header's name.</summary>
    public const string SignatureHeader = "X-Lifeboat-Signature";

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var body = NotificationJson.Serialize(notification);
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = SlackChannel.JsonContent(body) };
        if (options.Secret is { Length: > 0 } secret)
        {
            request.Headers.TryAddWithoutValidation(SignatureHeader, Signature(secret, body));
        }

        await HttpDelivery.SendAsync(http, request, options.ToString(), cancellationToken);
    }

    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256 of <paramref name="body"/> keyed with <paramref name="secret"/>.</summary>
    public static string Signature(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}

/// <summary>
/// PagerDuty Events API v2 (<c>POST {url}/v2/enqueue</c>): a firing or a reminder triggers (PagerDuty folds it into
/// the open incident by its dedup key), a recovery resolves; run notifications are not sent (nothing to page about).
/// </summary>
internal sealed class PagerDutyChannel(PagerDutyChannelOptions options, HttpClient http) : INotificationChannel
{
    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind is NotificationKind.RunStarted or NotificationKind.RunSucceeded)
        {
            return;
        }

        var url = new Uri(options.Url ?? PagerDutyChannelOptions.DefaultUrl, "/v2/enqueue");
        using (var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = SlackChannel.JsonContent(Body(options.RoutingKey, notification)) })
        {
            await HttpDelivery.SendAsync(http, request, options.ToString(), cancellationToken);
        }

        if (notification.Kind == NotificationKind.Test)
        {
            // a test proves the routing key by opening an incident: close it again, or the on-call is left with one
            var resolve = notification with { Kind = NotificationKind.Recovered };
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = SlackChannel.JsonContent(Body(options.RoutingKey, resolve)) };
            await HttpDelivery.SendAsync(http, request, options.ToString(), cancellationToken);
        }
    }

    /// <summary>The event: <c>routing_key</c>, <c>event_action</c> (trigger or resolve), <c>dedup_key</c> and, to trigger, <c>payload</c>.</summary>
    public static byte[] Body(string routingKey, Notification notification)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("routing_key", routingKey);
            json.WriteString("event_action", notification.Kind == NotificationKind.Recovered ? "resolve" : "trigger");
            json.WriteString("dedup_key", notification.DedupKey);
            if (notification.Kind != NotificationKind.Recovered)
            {
                json.WriteStartObject("payload");
                json.WriteString("summary", notification.Summary.Length > 1024 ? notification.Summary[..1024] : notification.Summary);
                json.WriteString("source", "lifeboat");
                json.WriteString("severity", notification.Kind == NotificationKind.Test ? "info" : "error");
                json.WriteString("timestamp", NotificationJson.Timestamp(notification.At));
                json.WriteString("component", notification.Plan);
                json.WriteString("group", "lifeboat");
                if (notification.Condition is { } condition)
                {
                    json.WriteString("class", condition.Name());
                }

                if (notification.Detail is { } detail)
                {
                    json.WriteStartObject("custom_details");
                    json.WriteString("detail", detail);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// ntfy: the text POSTed to the topic URL with <c>Title</c>, <c>Priority</c> (5 for a firing, 4 for a reminder, 3
/// otherwise) and <c>Tags</c> headers, and <c>Authorization: Bearer TOKEN</c> when there is a token.
/// </summary>
internal sealed class NtfyChannel(NtfyChannelOptions options, HttpClient http) : INotificationChannel
{
    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind is NotificationKind.RunStarted or NotificationKind.RunSucceeded)
        {
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url)
        {
            Content = new StringContent(notification.Detail ?? notification.Summary, Encoding.UTF8, "text/plain"),
        };
        request.Headers.TryAddWithoutValidation("Title", HeaderText(notification.Summary));
        request.Headers.TryAddWithoutValidation("Priority", notification.Kind switch
        {
            NotificationKind.Firing => "5",
            NotificationKind.Reminder => "4",
            _ => "3",
        });
        request.Headers.TryAddWithoutValidation("Tags", notification.Kind switch
        {
            NotificationKind.Firing or NotificationKind.Reminder => "rotating_light",
            NotificationKind.Recovered => "white_check_mark",
            _ => "information_source",
        });
        if (options.Token is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        await HttpDelivery.SendAsync(http, request, options.ToString(), cancellationToken);
    }

    /// <summary>ASCII text as it is; anything else as an RFC 2047 encoded word, which ntfy decodes.</summary>
    internal static string HeaderText(string text) =>
        Ascii.IsValid(text) && !text.Contains('\n', StringComparison.Ordinal)
            ? text
            : "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(text.ReplaceLineEndings(" "))) + "?=";
}

/// <summary>
/// A dead-man ping to a healthchecks-style URL: <c>URL/start</c> when a run starts, <c>URL</c> when it succeeds (and
/// for a test), <c>URL/fail</c> when an alert fires or is reminded of, with the text as the body. A recovery sends
/// nothing of its own: the successful run that fixed it has pinged already. The service notices a dead agent by the
/// pings that stop.
/// </summary>
internal sealed class PingChannel(PingChannelOptions options, HttpClient http) : INotificationChannel
{
    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var suffix = notification.Kind switch
        {
            NotificationKind.RunStarted => "/start",
            NotificationKind.RunSucceeded or NotificationKind.Test => string.Empty,
            NotificationKind.Firing or NotificationKind.Reminder => "/fail",
            _ => null,
        };
        if (suffix is null)
        {
            return;
        }

        var url = new Uri(options.Url.ToString().TrimEnd('/') + suffix);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(NotificationJson.Text(notification), Encoding.UTF8, "text/plain"),
        };
        await HttpDelivery.SendAsync(http, request, options.ToString(), cancellationToken);
    }
}
