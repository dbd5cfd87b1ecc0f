using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Cli.Commands;

/// <summary>How forget shows its decisions: a table per group, or JSON.</summary>
internal static class RetentionOutput
{
    public static void WriteTable(ForgetPlan plan, bool dryRun)
    {
        var zone = plan.TimeZone;
        foreach (var group in plan.Groups)
        {
            var unselected = group.Unselected > 0 ? $", {group.Unselected} not selected by --tag" : "";
            Console.Out.WriteLine($"{group.Key}: keep {group.Kept}, {(dryRun ? "would remove" : "remove")} {group.Removed}{unselected}");
            if (group.Decisions.Count == 0)
            {
                Console.Out.WriteLine();
                continue;
            }

            Console.Out.WriteLine($"  {"ID",-10} {"TIME (" + zone.Id + ")",-26} {"ACTION",-7} REASONS");
            foreach (var decision in group.Decisions)
            {
                var local = TimeZoneInfo.ConvertTime(decision.Record.Snapshot.Time, zone);
                var time = local.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
                Console.Out.WriteLine($"  {decision.Record.ShortId,-10} {time,-26} {(decision.Keep ? "keep" : "remove"),-7} {string.Join(", ", decision.Reasons)}");
            }

            Console.Out.WriteLine();
        }
    }

    /// <summary>The snapshots named to <c>forget ID...</c>; a damaged one shows why it cannot be read.</summary>
    public static void WriteTable(NamedForgetResult result)
    {
        Console.Out.WriteLine($"  {"ID",-10} {"TIME (UTC)",-20} {"ACTION",-7} SOURCE");
        foreach (var named in result.Snapshots)
        {
            var action = result.DryRun ? "remove" : "removed";
            var line = named.Record is { Snapshot: var s }
                ? $"{s.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-20} {action,-7} {s.Source}"
                : $"{"?",-20} {action,-7} cannot be read: {named.Damage}";
            Console.Out.WriteLine($"  {named.Id.Short,-10} {line}");
        }

        Console.Out.WriteLine();
    }

    public static object ToJson(NamedForgetResult result) => new
    {
        dryRun = result.DryRun,
        removed = result.Removed,
        snapshots = result.Snapshots.Select(n => new
        {
            id = n.Id.ToString(),
            shortId = n.Id.Short,
            time = n.Record?.Snapshot.Time,
            host = n.Record?.Snapshot.Host,
            kind = n.Record?.Snapshot.Kind,
            source = n.Record?.Snapshot.Source,
            tags = n.Record?.Snapshot.Tags,
            damaged = n.Damage,
        }),
        prune = result.Prune,
    };

    public static object ToJson(ForgetResult result, RetentionPolicy policy) => new
    {
        dryRun = result.DryRun,
        policy = policy.Describe(),
        timeZone = result.Plan.TimeZone.Id,
        minKeep = result.Plan.MinKeep,
        removed = result.Removed,
        kept = result.Plan.ToKeep.Count(),
        groups = result.Plan.Groups.Select(g => new
        {
            group = new { host = g.Key.Host, kind = g.Key.Kind, source = g.Key.Source, tags = g.Key.Tags },
            kept = g.Kept,
            removed = g.Removed,
            unselected = g.Unselected,
            snapshots = g.Decisions.Select(d => new
            {
                id = d.Record.Id.ToString(),
                shortId = d.Record.ShortId,
                time = d.Record.Snapshot.Time,
                localTime = TimeZoneInfo.ConvertTime(d.Record.Snapshot.Time, result.Plan.TimeZone),
                action = d.Keep ? "keep" : "remove",
                reasons = d.Reasons,
            }),
        }),
        prune = result.Prune,
    };
}
