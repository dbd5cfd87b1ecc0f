using System.Globalization;

namespace Lifeboat.Repository.Retention;

/// <summary>The calendar periods a retention rule can keep one snapshot of.</summary>
public enum CalendarUnit
{
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// <summary>
/// Which calendar bucket a snapshot falls in, in a time zone: the local day, ISO-8601 week
/// (Monday to Sunday, weeks numbered within the ISO week-based year), month or year. An hour is
/// the local hour together with its UTC offset, so the hour repeated when clocks go back is two
/// buckets and a half-hour-offset zone gets its own local hours.
/// </summary>
public static class CalendarBuckets
{
    public static long KeyOf(DateTimeOffset time, CalendarUnit unit, TimeZoneInfo timeZone)
    {
        var local = TimeZoneInfo.ConvertTime(time, timeZone);
        return unit switch
        {
            CalendarUnit.Hour => new DateTimeOffset(local.Year, local.Month, local.Day, local.Hour, 0, 0, local.Offset).UtcTicks,
            CalendarUnit.Day => (local.Year * 10_000L) + (local.Month * 100) + local.Day,
            CalendarUnit.Week => (ISOWeek.GetYear(local.DateTime) * 100L) + ISOWeek.GetWeekOfYear(local.DateTime),
            CalendarUnit.Month => (local.Year * 100L) + local.Month,
            CalendarUnit.Year => local.Year,
            _ => throw new ArgumentOutOfRangeException(nameof(unit)),
        };
    }

    /// <summary>The rule's name as shown to people: hourly, daily, weekly, monthly, yearly.</summary>
    public static string Adjective(CalendarUnit unit) => unit switch
    {
        CalendarUnit.Hour => "hourly",
        CalendarUnit.Day => "daily",
        CalendarUnit.Week => "weekly",
        CalendarUnit.Month => "monthly",
        _ => "yearly",
    };

    /// <summary>
    /// A time zone from an IANA id (e.g. Europe/Berlin), <c>UTC</c>, or <c>local</c> (this
    /// machine's zone).
    /// </summary>
    public static TimeZoneInfo FindTimeZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || string.Equals(id, "UTC", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        if (string.Equals(id, "local", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new InvalidRequestException(
                $"unknown time zone '{id}': use an IANA name such as Europe/Berlin or America/New_York, 'UTC' or 'local' (needs the tzdata package)");
        }
    }
}
