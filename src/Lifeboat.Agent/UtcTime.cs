using System.Globalization;

namespace Lifeboat.Agent;

/// <summary>Times in the agent's messages: UTC to the minute, as <c>2026-12-07 06:00 UTC</c>.</summary>
internal static class UtcTime
{
    /// <summary>The time as <c>yyyy-MM-dd HH:mm UTC</c>.</summary>
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
