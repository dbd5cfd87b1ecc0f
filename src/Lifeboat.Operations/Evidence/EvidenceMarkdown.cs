using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Lifeboat.Operations.Evidence;

/// <summary>Renders an evidence report as Markdown for people (auditors, tickets, wikis).</summary>
public static class EvidenceMarkdown
{
    /// <summary>The Markdown of <paramref name="report"/>, ending with the SHA-256 of its JSON body.</summary>
    public static string Render(EvidenceReport report, string bodySha256, string? evidenceId)
    {
        var b = new StringBuilder();
        Header(b, report, evidenceId);
        Objectives(b, report.Objectives);
        if (report.Checks.Count > 0)
        {
            CheckSummary(b, report.Checks);
            Warnings(b, report);
            CheckDetails(b, report.Checks);
        }

        Figures(b, report.Figures);
        Timings(b, report.Timings);
        Notes(b, report.Notes);
        Line(b);
        Line(b, "---");
        Line(b);
        Line(b, $"SHA-256 of the JSON report body: `{bodySha256}`");
        Line(b, "(`lifeboat evidence show ID --format json | sha256sum` prints the same.)");
        return b.ToString();
    }

    private static void Header(StringBuilder b, EvidenceReport report, string? evidenceId)
    {
        Line(b, $"# {report.Title}: {(report.Passed ? "PASSED" : "FAILED")}");
        Line(b);
        Line(b, "| | |");
        Line(b, "|---|---|");
        if (evidenceId is not null)
        {
            Line(b, $"| evidence id | `{evidenceId}` |");
        }

        Line(b, $"| kind | {report.Kind} |");
        if (report.Snapshot is { } s)
        {
            Line(b, $"| snapshot | `{s.Id}` |");
            Line(b, $"| snapshot time | {Time(s.Time)} |");
            Line(b, $"| source | {Cell(s.Source)} (backed up on {Cell(s.Host)}) |");
        }

        Line(b, $"| started | {Time(report.Started)} |");
        Line(b, $"| finished | {Time(report.Finished)} |");
        Line(b, $"| run by | {Cell(report.RunBy)} |");
        Line(b, $"| repository | `{report.Repository}` |");
        Line(b, $"| program | {Cell(report.Program)} |");
    }

    private static void Objectives(StringBuilder b, IReadOnlyList<EvidenceObjective> objectives)
    {
        if (objectives.Count == 0)
        {
            return;
        }

        Section(b, "## Objectives", "| objective | limit | achieved | result |", "|---|---:|---:|---|");
        foreach (var o in objectives)
        {
            var limit = o.LimitSeconds is { } l ? Durations.Format(TimeSpan.FromSeconds(l)) : "none set";
            Line(b, $"| {o.Name}: {Cell(o.Description)} | {limit} | {Durations.Format(TimeSpan.FromSeconds(o.AchievedSeconds))} | {Result(o.Passed)} |");
        }
    }

    private static void CheckSummary(StringBuilder b, IReadOnlyList<EvidenceCheck> checks)
    {
        Section(b, "## Checks", "| # | check | result | summary |", "|---:|---|---|---|");
        var n = 0;
        foreach (var c in checks)
        {
            Line(b, $"| {++n} | {Cell(c.Title)} | {Result(c.Passed, c.Items.Any(i => i.Warning is not null))} | {Cell(c.Summary)} |");
        }
    }

    private static void Warnings(StringBuilder b, EvidenceReport report)
    {
        if (report.Warnings.Count == 0)
        {
            return;
        }

        Line(b);
        Line(b, "## Warnings about the source");
        Line(b);
        Line(b, report.Kind == "drill"
            ? "The restored database is the same as the source here; these are hazards of the source at the snapshot, not failures of the drill."
            : "The snapshot was saved; these are signs that its source may not be what was meant to be saved.");
        Line(b);
        foreach (var w in report.Warnings)
        {
            Line(b, $"- **{Cell(w.Check)}** {Cell(w.Object)}: {Cell(w.Message)}");
        }
    }

    private static void CheckDetails(StringBuilder b, IReadOnlyList<EvidenceCheck> checks)
    {
        foreach (var (c, index) in checks.Select((c, i) => (c, i + 1)).Where(x => x.c.Items.Count > 0))
        {
            Section(b, $"### {index}. {c.Title}: {Result(c.Passed)}", "| subject | expected | actual | result | note |", "|---|---|---|---|---|");
            foreach (var i in c.Items.OrderBy(i => i.Passed).ThenBy(i => i.Warning is null))
            {
                Line(b, $"| {Cell(i.Subject)} | {Cell(i.Expected)} | {Cell(i.Actual)} | {Result(i.Passed, i.Warning is not null)} | {Cell(i.Note)} |");
            }
        }
    }

    private static void Figures(StringBuilder b, JsonObject figures)
    {
        if (figures.Count == 0)
        {
            return;
        }

        Section(b, "## Figures", "| figure | value |", "|---|---:|");
        foreach (var (name, value) in figures)
        {
            Line(b, $"| {Cell(name)} | {Cell(Value(value))} |");
        }
    }

    private static void Timings(StringBuilder b, IReadOnlyList<EvidenceTiming> timings)
    {
        if (timings.Count == 0)
        {
            return;
        }

        Section(b, "## Timings", "| step | seconds |", "|---|---:|");
        foreach (var t in timings)
        {
            Line(b, $"| {Cell(t.Step)} | {t.Seconds.ToString("0.000", CultureInfo.InvariantCulture)} |");
        }
    }

    private static void Notes(StringBuilder b, IReadOnlyList<string> notes)
    {
        if (notes.Count == 0)
        {
            return;
        }

        Line(b);
        Line(b, "## Notes");
        Line(b);
        foreach (var note in notes)
        {
            Line(b, $"- {note.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>A blank line, the heading, a blank line and a table's header rows.</summary>
    private static void Section(StringBuilder b, string heading, string columns, string alignment)
    {
        Line(b);
        Line(b, heading);
        Line(b);
        Line(b, columns);
        Line(b, alignment);
    }

    private static string Result(bool passed, bool warned = false) => !passed ? "**FAIL**" : warned ? "pass, warning" : "pass";

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    private static string Value(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static string Cell(string? text) =>
        text is null ? "" : text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    private static void Line(StringBuilder b, string text = "") => b.Append(text).Append('\n');
}
