using System.Globalization;
using System.Text.RegularExpressions;

namespace Lifeboat.Agent.PlanFile;

/// <summary>Durations (<c>30s</c>, <c>15m</c>, <c>6h</c>, <c>7d</c>, <c>1h30m</c>) and sizes (<c>500GiB</c>, <c>1TB</c>) of the plan file.</summary>
public static partial class Units
{
    /// <summary>A duration made of whole numbers of days, hours, minutes and seconds, largest first; null when it is not one.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || text.Trim().Length == 0)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            if (!long.TryParse(part.Value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 1_000_000)
            {
                return null;
            }

            total += unit switch
            {
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }

        return total;
    }

    /// <summary>The shortest text <see cref="ParseDuration"/> reads back as <paramref name="duration"/> (whole seconds).</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = string.Empty;
        if (duration.Days > 0)
        {
            text += duration.Days.ToString(CultureInfo.InvariantCulture) + "d";
        }

        if (duration.Hours > 0)
        {
            text += duration.Hours.ToString(CultureInfo.InvariantCulture) + "h";
        }

        if (duration.Minutes > 0)
        {
            text += duration.Minutes.ToString(CultureInfo.InvariantCulture) + "m";
        }

        if (duration.Seconds > 0 || text.Length == 0)
        {
            text += duration.Seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }

        return text;
    }

    /// <summary>A size in bytes: a number and an optional unit (B, kB/KB, MB, GB, TB, PB in powers of 1000; KiB ... PiB in powers of 1024).</summary>
    public static long? ParseSize(string text)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success
            || !decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        var unit = match.Groups["unit"].Value;
        var power = unit.Length == 0 ? 0 : "BKMGTP".IndexOf(char.ToUpperInvariant(unit[0]), StringComparison.Ordinal);
        var factor = (decimal)Math.Pow(unit.Contains('i', StringComparison.Ordinal) ? 1024 : 1000, power);
        var bytes = n * factor;
        return bytes is >= 1 and <= long.MaxValue ? (long)bytes : null;
    }

    [GeneratedRegex(@"^(?<part>[0-9]+[dhms])+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)\s*(?<unit>B|[kKMGTP]B|[KMGTP]iB)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
