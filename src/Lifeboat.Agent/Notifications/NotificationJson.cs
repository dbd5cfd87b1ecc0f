using System.Globalization;
using System.Text.Json;
using Lifeboat.Agent.Alerts;

namespace Lifeboat.Agent.Notifications;

/// <summary>
/// The generic webhook's JSON body (schema version 1; documented in docs/agent.md). Written with
/// <see cref="Utf8JsonWriter"/>, no reflection (Native AOT). Fields that do not apply are left out.
/// </summary>
internal static class NotificationJson
{
    /// <summary>The schema version in the body's <c>version</c> field.</summary>
    public const int Version = 1;

    /// <summary>The body as UTF-8 JSON bytes (the bytes that are signed).</summary>
    public static byte[] Serialize(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            json.WriteString("kind", KindName(notification.Kind));
            json.WriteString("event", notification.EventName);
            json.WriteString("plan", notification.Plan);
            if (notification.Condition is { } condition)
            {
                json.WriteString("condition", condition.Name());
            }

            json.WriteString("dedup_key", notification.DedupKey);
            json.WriteString("summary", notification.Summary);
            if (notification.Detail is { } detail)
            {
                json.WriteString("detail", detail);
            }

            json.WriteString("at", Timestamp(notification.At));
            if (notification.Since is { } since)
            {
                json.WriteString("since", Timestamp(since));
            }

            if (notification.BrokenFor is { } brokenFor)
            {
                json.WriteNumber("broken_for_seconds", (long)brokenFor.TotalSeconds);
            }

            if (notification.Kind == NotificationKind.Reminder)
            {
                json.WriteNumber("reminder", notification.Reminder);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The kind's name in JSON: <c>firing</c>, <c>reminder</c>, <c>recovered</c>, <c>run_started</c>, <c>run_succeeded</c>, <c>test</c>.</summary>
    public static string KindName(NotificationKind kind) => kind switch
    {
        NotificationKind.Firing => "firing",
        NotificationKind.Reminder => "reminder",
        NotificationKind.Recovered => "recovered",
        NotificationKind.RunStarted => "run_started",
        NotificationKind.RunSucceeded => "run_succeeded",
        _ => "test",
    };

    /// <summary>RFC 3339 in UTC with seconds: <c>2026-12-07T09:00:00Z</c>.</summary>
    public static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The text of a message for people: the summary, then the detail when there is one.</summary>
    public static string Text(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification.Detail is { } detail ? $"{notification.Summary}\n{detail}" : notification.Summary;
    }
}
