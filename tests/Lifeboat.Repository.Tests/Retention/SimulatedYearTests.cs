using Lifeboat.Repository.Format;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Repository.Tests.Retention;

public class SimulatedYearTests
{
    [Theory]
    [InlineData("UTC")]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    public void A_year_of_daily_and_six_hourly_snapshots_keeps_exactly_the_grandfather_father_son_set(string zoneId)
    {
        var zone = CalendarBuckets.FindTimeZone(zoneId);
        var snapshots = Year();
        var held = snapshots.Where((_, i) => i % 97 == 5).ToList();
        var holds = held.ToDictionary(s => s.Id, s => new List<HoldEntry> { Hold(s.Id) });
        var policy = Snapshots.Counts(daily: 30, weekly: 12, monthly: 12, yearly: 7) with { KeepTags = ["audit"] };

        var plan = Snapshots.Plan(snapshots, policy, zoneId, holds: holds);

        // The expectation, computed another way: group by bucket, newest buckets first, newest snapshot of each.
        DateOnly Day(SnapshotRecord s) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(s.Snapshot.Time, zone).DateTime);
        var expected = new HashSet<SnapshotRecord>();
        expected.UnionWith(NewestOfEachBucket(snapshots, s => Day(s), 30));
        expected.UnionWith(NewestOfEachBucket(snapshots, s => MondayOf(Day(s)), 12));
        expected.UnionWith(NewestOfEachBucket(snapshots, s => (Day(s).Year, Day(s).Month), 12));
        expected.UnionWith(NewestOfEachBucket(snapshots, s => Day(s).Year, 7));
        expected.UnionWith(snapshots.Where(s => s.Snapshot.Tags.Contains("audit")));
        expected.UnionWith(held);

        plan.Kept().Select(Describe).Order().Should().Equal(expected.Select(Describe).Order());
        plan.ToRemove.Should().HaveCount(snapshots.Count - expected.Count);
        expected.Count.Should().BeInRange(50, 75, "30 daily + 12 weekly + 12 monthly + 2 yearly overlap a little, plus tagged and held ones");
        plan.GuardViolations.Should().BeEmpty();
    }

    [Fact]
    public void Tag_selection_with_keep_within_forgets_only_old_tagged_snapshots_and_leaves_the_rest_alone()
    {
        var snapshots = Year();
        var newestPreDeploy = snapshots.Where(s => s.Snapshot.Tags.Contains("pre-deploy")).Max(s => s.Snapshot.Time);
        var policy = new RetentionPolicy { KeepWithin = RetentionDuration.Parse("30d") };

        var plan = Snapshots.Plan(snapshots, policy, select: [["pre-deploy"]]);

        var expectedRemoved = snapshots.Where(s => s.Snapshot.Tags.Contains("pre-deploy") && s.Snapshot.Time < newestPreDeploy.AddDays(-30)).ToHashSet();
        expectedRemoved.Should().NotBeEmpty();
        plan.ToRemove.Should().BeEquivalentTo(expectedRemoved);
        plan.Groups.Single().Unselected.Should().Be(snapshots.Count(s => !s.Snapshot.Tags.Contains("pre-deploy")));
    }

    /// <summary>365 daily snapshots at 23:30 UTC (near midnight in many zones), 6-hourly ones in the last two weeks, some tagged.</summary>
    internal static List<SnapshotRecord> Year()
    {
        var list = new List<SnapshotRecord>();
        var start = new DateTimeOffset(2025, 1, 1, 23, 30, 0, TimeSpan.Zero);
        for (var day = 0; day < 365; day++)
        {
            var tags = day % 20 == 3 ? new[] { "pre-deploy" } : day % 45 == 10 ? ["audit"] : [];
            list.Add(Snapshots.At(start.AddDays(day), "db", tags));
        }

        for (var hour = 0; hour < 14 * 24; hour += 6)
        {
            list.Add(Snapshots.At(new DateTimeOffset(2025, 12, 18, 0, 0, 0, TimeSpan.Zero).AddHours(hour), "db"));
        }

        return list;
    }

    private static IEnumerable<SnapshotRecord> NewestOfEachBucket<TKey>(List<SnapshotRecord> snapshots, Func<SnapshotRecord, TKey> bucket, int count) =>
        snapshots.GroupBy(bucket)
            .Select(g => g.OrderByDescending(s => s.Snapshot.Time).First())
            .OrderByDescending(s => s.Snapshot.Time)
            .Take(count);

    private static DateOnly MondayOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    private static string Describe(SnapshotRecord s) => $"{s.Snapshot.Time:O} {string.Join(",", s.Snapshot.Tags)}";

    internal static HoldEntry Hold(BlobId snapshot) => new(
        BlobId.HashOf(snapshot.ToBytes()),
        new HoldRecord { Action = HoldRecord.HoldAction, Snapshot = snapshot.ToString(), Reason = "legal", User = "u", Host = "h", Time = DateTimeOffset.UnixEpoch },
        null);
}
