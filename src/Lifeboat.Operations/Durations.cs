using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>Durations as people write them: <c>25h</c>, <c>35d</c>, <c>1h30m</c>, <c>90s</c>, <c>500ms</c>, <c>2w</c>.</summary>
public static partial class Durations
{
    /// <summary>Parses a duration; <paramref name="what"/> names the option in the error message.</summary>
    public static TimeSpan Parse(string text, string what)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        var matches = Part().Matches(trimmed);
        if (trimmed.Length == 0 || matches.Sum(m => m.Length) != trimmed.Length)
        {
            throw new InvalidRequestException($"{what} '{text}' is not a duration: use a number and a unit (ms, s, m, h, d, w), e.g. 25h, 35d or 1h30m");
        }

        var total = TimeSpan.Zero;
        foreach (Match m in matches)
        {
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                "d" => TimeSpan.FromDays(value),
                _ => TimeSpan.FromDays(7 * value),
            };
        }

        return total;
    }

    /// <summary>Parses a limit that can be switched off with <c>off</c> or <c>0</c> (then null).</summary>
    public static TimeSpan? ParseLimit(string? text, string what) =>
        text is null || text.Trim() is "off" or "0" or "none" ? null : Parse(text, what);

    /// <summary>For people: <c>850 ms</c>, <c>12.3 s</c>, <c>4m 05s</c>, <c>25h</c>, <c>3h 20m</c>, <c>35d</c>, <c>2d 4h</c>.</summary>
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "-" + Format(span.Negate());
        }

        var b = new StringBuilder();
        if (span.TotalSeconds < 1)
        {
            b.Append(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms");
        }
        else if (span.TotalMinutes < 1)
        {
            b.Append(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s");
        }
        else if (span.TotalHours < 1)
        {
            b.Append(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds:00}s");
        }
        else if (span.TotalHours < 48)
        {
            b.Append(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h");
            if (span.Minutes > 0)
            {
                b.Append(CultureInfo.InvariantCulture, $" {span.Minutes:00}m");
            }
        }
        else
        {
            b.Append(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d");
            if (span.Hours > 0)
            {
                b.Append(CultureInfo.InvariantCulture, $" {span.Hours}h");
            }
        }

        return b.ToString();
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")]
    private static partial Regex Part();
}
