using System.Globalization;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Repository.Tests.Retention;

/// <summary>Snapshot records made up in memory, for planner tests.</summary>
internal static class Snapshots
{
    private static int s_counter;

    public static SnapshotRecord At(string isoTime, string source = "db", params string[] tags) =>
        At(DateTimeOffset.Parse(isoTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), source, tags);

    public static SnapshotRecord At(DateTimeOffset time, string source = "db", params string[] tags)
    {
        var id = BlobId.HashOf(BitConverter.GetBytes(Interlocked.Increment(ref s_counter)));
        return new SnapshotRecord(id, new Snapshot
        {
            Time = time,
            Host = "host1",
            User = "tester",
            Kind = "stream",
            Source = source,
            Tags = tags,
            Streams = [],
            Summary = new SnapshotSummary(0, 0, 0, 0, 0, 0, 0),
            Program = "test",
        });
    }

    public static ForgetPlan Plan(IReadOnlyList<SnapshotRecord> snapshots, RetentionPolicy policy, string zone = "UTC", DateTimeOffset? now = null, int minKeep = 1,
        IReadOnlyDictionary<BlobId, List<HoldEntry>>? holds = null, IReadOnlyList<IReadOnlyList<string>>? select = null) =>
        RetentionPlanner.Plan(
            snapshots,
            new ForgetOptions { Policy = policy, TimeZone = CalendarBuckets.FindTimeZone(zone), MinKeep = minKeep, Select = select ?? [] },
            holds ?? new Dictionary<BlobId, List<HoldEntry>>(),
            now ?? DateTimeOffset.Parse("2030-01-01T00:00:00Z", CultureInfo.InvariantCulture));

    public static RetentionPolicy Counts(int daily = 0, int weekly = 0, int monthly = 0, int yearly = 0, int hourly = 0) => new()
    {
        Counts =
        [
            new CalendarCountRule(CalendarUnit.Hour, hourly),
            new CalendarCountRule(CalendarUnit.Day, daily),
            new CalendarCountRule(CalendarUnit.Week, weekly),
            new CalendarCountRule(CalendarUnit.Month, monthly),
            new CalendarCountRule(CalendarUnit.Year, yearly),
        ],
    };

    public static HashSet<SnapshotRecord> Kept(this ForgetPlan plan) => [.. plan.ToKeep];
}
