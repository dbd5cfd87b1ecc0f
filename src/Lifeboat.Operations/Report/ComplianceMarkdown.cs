using System.Globalization;
using System.Text;
using Lifeboat.Repository;

namespace Lifeboat.Operations.Report;

/// <summary>Renders the compliance report as Markdown.</summary>
public static class ComplianceMarkdown
{
    /// <summary>The report as Markdown.</summary>
    public static string Render(ComplianceReport r)
    {
        var b = new StringBuilder();
        Line(b, $"# Lifeboat compliance report: {Day(r.From)} to {Day(r.To)}");
        Line(b);
        Line(b, $"Repository `{r.Repository}`, period {Time(r.From)} to {Time(r.To)}.");
        Backups(b, r);
        Operations(b, r);
        Drills(b, r);
        IntegrityAndRetention(b, r);
        return b.ToString();
    }

    private static void Backups(StringBuilder b, ComplianceReport r)
    {
        Line(b);
        Line(b, "## Backups");
        Line(b);
        if (r.Sources.Count == 0)
        {
            Line(b, "No backups were made in the period.");
        }
        else
        {
            Line(b, "| source | backups | last | read | stored |");
            Line(b, "|---|---:|---|---:|---:|");
            foreach (var s in r.Sources)
            {
                Line(b, $"| {s.Source} | {s.Backups} | {(s.LastBackup is { } t ? Time(t) : "")} | {Size(s.BytesRead)} | {Size(s.StoredBytes)} |");
            }
        }

        if (r.DamagedSnapshots.Count > 0)
        {
            Line(b);
            Line(b, $"**{r.DamagedSnapshots.Count} snapshot(s) cannot be read**, so cannot be restored, and are not counted above:");
            Line(b);
            foreach (var d in r.DamagedSnapshots)
            {
                Line(b, $"- `{d.ShortId}`: {d.Error}");
            }

            Line(b);
            Line(b, $"Run `lifeboat check`, then `lifeboat forget {DamagedSnapshot.Names(r.DamagedSnapshots)}` to remove them.");
        }
    }

    private static void Operations(StringBuilder b, ComplianceReport r)
    {
        Line(b);
        Line(b, "## Operations");
        Line(b);
        if (r.Operations.Count == 0)
        {
            Line(b, "The audit log records no operation in the period.");
        }
        else
        {
            Line(b, "| operation | ok | failed | interrupted |");
            Line(b, "|---|---:|---:|---:|");
            foreach (var o in r.Operations)
            {
                Line(b, $"| {o.Operation} | {o.Ok} | {o.Failed} | {o.Interrupted} |");
            }
        }

        if (r.Failures.Count > 0)
        {
            Line(b);
            Line(b, $"### Failures ({r.Failures.Count})");
            Line(b);
            foreach (var f in r.Failures)
            {
                Line(b, $"- {Time(f.Time)} {f.Operation} {f.Status}{(f.Source is null ? "" : " (" + f.Source + ")")}: {f.Error}");
            }
        }
    }

    private static void Drills(StringBuilder b, ComplianceReport r)
    {
        Line(b);
        Line(b, "## Restore drills");
        Line(b);
        if (r.Drills.Count == 0)
        {
            Line(b, "No restore drill in the period.");
        }
        else
        {
            Line(b, $"{r.Drills.Count(d => d.Passed)} of {r.Drills.Count} drill(s) passed.");
            Line(b);
            Line(b, "| time | source | snapshot | result | RTO achieved (objective) | RPO achieved (objective) | evidence |");
            Line(b, "|---|---|---|---|---:|---:|---|");
            foreach (var d in r.Drills)
            {
                var result = d.Passed ? "pass" : "**FAIL**" + (d.FailedChecks.Count > 0 ? " (" + string.Join(", ", d.FailedChecks) + ")" : "");
                Line(b, $"| {Time(d.Time)} | {d.Source} | {d.Snapshot?[..8]} | {result} | {Objective(d.RtoSeconds, d.RtoLimitSeconds)} | {Objective(d.RpoSeconds, d.RpoLimitSeconds)} | {d.Evidence[..8]} |");
            }
        }

        if (r.DamagedEvidence.Count > 0)
        {
            Line(b);
            Line(b, $"**{r.DamagedEvidence.Count} evidence report(s) cannot be read** and are not counted above:");
            Line(b);
            foreach (var e in r.DamagedEvidence)
            {
                Line(b, $"- {e}");
            }
        }
    }

    private static void IntegrityAndRetention(StringBuilder b, ComplianceReport r)
    {
        Line(b);
        Line(b, "## Integrity and retention");
        Line(b);
        Line(b, r.LastCheck is { } c
            ? $"- Last integrity check: {Time(c.Time)}, {c.Status}{(c.Note is null ? "" : ", " + c.Note)}{(c.Evidence is null ? "" : $" (evidence {c.Evidence[..8]})")}"
            : "- Last integrity check: none recorded");
        if (r.Retention.Count == 0)
        {
            Line(b, "- Retention: no forget or prune recorded");
        }

        foreach (var run in r.Retention)
        {
            Line(b, $"- Last {run.Operation}: {Time(run.Time)}, {run.Status}");
        }

        Line(b, r.AuditProblems.Count == 0
            ? $"- Audit log: {r.AuditRecords} record(s), chain verified"
            : $"- Audit log: {r.AuditRecords} record(s), **chain broken**: {string.Join("; ", r.AuditProblems)}");
    }


    private static string Objective(double? achieved, double? limit) =>
        (achieved is { } a ? Durations.Format(TimeSpan.FromSeconds(a)) : "not reached") + (limit is { } l ? $" ({Durations.Format(TimeSpan.FromSeconds(l))})" : "");

    private static string Size(long bytes) => bytes >= 1 << 30 ? $"{bytes / (double)(1 << 30):0.0} GiB" : bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder b, string text = "") => b.Append(text).Append('\n');
}
