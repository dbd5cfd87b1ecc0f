using System.Globalization;
using System.Text.RegularExpressions;

namespace Lifeboat.Repository.Retention;

/// <summary>
/// A calendar duration such as <c>30d</c>, <c>12h</c>, <c>2w</c> or <c>1y2m</c>: years, months,
/// weeks, days and hours. Years, months, weeks and days are calendar steps in the policy's time
/// zone (a day across a daylight-saving change is 23 or 25 hours); hours are exact.
/// </summary>
public sealed partial record RetentionDuration(int Years, int Months, int Weeks, int Days, int Hours)
{
    [GeneratedRegex("^(?:(?<n>[0-9]{1,5})(?<u>[ymwdh]))+$")]
    private static partial Regex Pattern();

    /// <summary>Parses <c>1y2m</c>-style text; each unit at most once, in any order.</summary>
    public static RetentionDuration Parse(string text)
    {
        if (!TryParse(text, out var duration))
        {
            throw new InvalidRequestException(
                $"'{text}' is not a duration: use a number and a unit, combined as needed: y (years), m (months), w (weeks), d (days), h (hours), e.g. 30d, 12h, 1y2m");
        }

        return duration;
    }

    public static bool TryParse(string? text, out RetentionDuration duration)
    {
        duration = new RetentionDuration(0, 0, 0, 0, 0);
        var match = text is null ? null : Pattern().Match(text.Trim().ToLowerInvariant());
        if (match is null || !match.Success)
        {
            return false;
        }

        var seen = new HashSet<char>();
        for (var i = 0; i < match.Groups["n"].Captures.Count; i++)
        {
            var n = int.Parse(match.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
            var unit = match.Groups["u"].Captures[i].Value[0];
            if (!seen.Add(unit))
            {
                return false;
            }

            duration = unit switch
            {
                'y' => duration with { Years = n },
                'm' => duration with { Months = n },
                'w' => duration with { Weeks = n },
                'd' => duration with { Days = n },
                _ => duration with { Hours = n },
            };
        }

        return true;
    }

    /// <summary>The instant this duration before <paramref name="reference"/>, stepping the calendar in <paramref name="timeZone"/>.</summary>
    public DateTimeOffset SubtractFrom(DateTimeOffset reference, TimeZoneInfo timeZone) => Shift(reference, timeZone, -1);

    /// <summary>The instant this duration after <paramref name="reference"/>, stepping the calendar in <paramref name="timeZone"/>.</summary>
    public DateTimeOffset AddTo(DateTimeOffset reference, TimeZoneInfo timeZone) => Shift(reference, timeZone, 1);

    private DateTimeOffset Shift(DateTimeOffset reference, TimeZoneInfo timeZone, int sign)
    {
        var local = TimeZoneInfo.ConvertTime(reference, timeZone).DateTime;
        var shiftedWall = local.AddYears(sign * Years).AddMonths(sign * Months).AddDays(sign * ((7 * Weeks) + Days));
        var shifted = (Years | Months | Weeks | Days) == 0
            ? reference
            : new DateTimeOffset(shiftedWall, ResolveOffset(shiftedWall, timeZone));
        return shifted.AddHours(sign * Hours);
    }

    /// <summary>The offset of a wall-clock time; in a gap or an overlap, the earlier instant (which keeps more).</summary>
    private static TimeSpan ResolveOffset(DateTime wall, TimeZoneInfo timeZone)
    {
        if (timeZone.IsAmbiguousTime(wall))
        {
            return timeZone.GetAmbiguousTimeOffsets(wall).Max();
        }

        return timeZone.GetUtcOffset(DateTime.SpecifyKind(wall, DateTimeKind.Unspecified));
    }

    public override string ToString()
    {
        var text = (Years > 0 ? $"{Years}y" : "") + (Months > 0 ? $"{Months}m" : "") + (Weeks > 0 ? $"{Weeks}w" : "")
            + (Days > 0 ? $"{Days}d" : "") + (Hours > 0 ? $"{Hours}h" : "");
        return text.Length > 0 ? text : "0h";
    }
}
