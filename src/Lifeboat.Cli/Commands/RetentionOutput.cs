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

    public static NamedForgetOutput ToJson(NamedForgetResult result) => new(
        result.DryRun,
        result.Removed,
        [
            .. result.Snapshots.Select(n => new NamedForgetItem(
                n.Id.ToString(), n.Id.Short, n.Record?.Snapshot.Time, n.Record?.Snapshot.Host, n.Record?.Snapshot.Kind,
                n.Record?.Snapshot.Source, n.Record?.Snapshot.Tags, n.Damage)),
        ],
        result.Prune);

    public static ForgetOutput ToJson(ForgetResult result, RetentionPolicy policy) => new(
        result.DryRun,
        policy.Describe(),
        result.Plan.TimeZone.Id,
        result.Plan.MinKeep,
        result.Removed,
        result.Plan.ToKeep.Count(),
        [
            .. result.Plan.Groups.Select(g => new ForgetGroupOutput(
                new ForgetGroupKey(g.Key.Host, g.Key.Kind, g.Key.Source, g.Key.Tags),
                g.Kept,
                g.Removed,
                g.Unselected,
                [
                    .. g.Decisions.Select(d => new ForgetDecisionOutput(
                        d.Record.Id.ToString(), d.Record.ShortId, d.Record.Snapshot.Time,
                        TimeZoneInfo.ConvertTime(d.Record.Snapshot.Time, result.Plan.TimeZone), d.Keep ? "keep" : "remove", d.Reasons)),
                ])),
        ],
        result.Prune);
}
