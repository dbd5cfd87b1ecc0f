using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Lifeboat.Operations.Evidence;

/// <summary>
/// An evidence report (JSON for machines, rendered as Markdown for people): what was done, to
/// which snapshot, with every figure, timing, objective and check. The same shape serves backups,
/// checks and drills. Its serialised bytes are the "report body" whose SHA-256 is recorded.
/// </summary>
public sealed record EvidenceReport
{
    /// <summary>Identifies the shape: <c>lifeboat evidence v1</c>.</summary>
    public string Format { get; init; } = "lifeboat evidence v1";

    /// <summary><c>backup</c>, <c>check</c> or <c>drill</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>One line saying what this is.</summary>
    public required string Title { get; init; }

    /// <summary>Whether everything passed.</summary>
    public required bool Passed { get; init; }

    /// <summary>The program and version, e.g. <c>lifeboat 0.1.0</c>.</summary>
    public required string Program { get; init; }

    /// <summary>When the operation started.</summary>
    public required DateTimeOffset Started { get; init; }

    /// <summary>When the report was made.</summary>
    public required DateTimeOffset Finished { get; init; }

    /// <summary>Who ran it: user@host.</summary>
    public required string RunBy { get; init; }

    /// <summary>The repository's id.</summary>
    public required string Repository { get; init; }

    /// <summary>The snapshot the report is about.</summary>
    public EvidenceSnapshot? Snapshot { get; init; }

    /// <summary>Recovery objectives and what was achieved.</summary>
    public IReadOnlyList<EvidenceObjective> Objectives { get; init; } = [];

    /// <summary>How long each step took.</summary>
    public IReadOnlyList<EvidenceTiming> Timings { get; init; } = [];

    /// <summary>Every figure, by name (numbers stay numbers).</summary>
    public JsonObject Figures { get; init; } = [];

    /// <summary>The checks, each with its items.</summary>
    public IReadOnlyList<EvidenceCheck> Checks { get; init; } = [];

    /// <summary>
    /// Hazards found in the source (the restored database is the same there, so they do not fail the
    /// drill), e.g. a sequence behind its column: one per item of a check that carries a warning.
    /// </summary>
    public IReadOnlyList<EvidenceWarning> Warnings { get; init; } = [];

    /// <summary>Anything else worth knowing (e.g. why a step failed).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The report body: indented UTF-8 JSON, deterministic for a given report.</summary>
    public byte[] ToBody() => JsonSerializer.SerializeToUtf8Bytes(this, EvidenceJsonContext.Default.EvidenceReport);

    /// <summary>Parses a body.</summary>
    public static EvidenceReport FromBody(byte[] body) =>
        JsonSerializer.Deserialize(body, EvidenceJsonContext.Default.EvidenceReport) ?? throw new JsonException("the evidence report is empty");
}

/// <summary>The report body's metadata, generated at build time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true, NewLine = "\n")]
[JsonSerializable(typeof(EvidenceReport))]
internal sealed partial class EvidenceJsonContext : JsonSerializerContext;

/// <summary>The snapshot a report is about.</summary>
public sealed record EvidenceSnapshot(string Id, DateTimeOffset Time, string Source, string Host, string Kind);

/// <summary>An objective (RTO, RPO) with its limit and what was measured.</summary>
public sealed record EvidenceObjective(string Name, string Description, double? LimitSeconds, double AchievedSeconds, bool Passed);

/// <summary>One timed step.</summary>
public sealed record EvidenceTiming(string Step, double Seconds);

/// <summary>One check: its result, a summary line and one item per table, constraint, sequence or assertion.</summary>
public sealed record EvidenceCheck(string Name, string Title, bool Passed, string Summary, IReadOnlyList<EvidenceItem> Items, double Seconds = 0);

/// <summary>
/// One thing checked: what, passed or not, expected and actual values, and a note; a passed item may
/// carry a warning about the source (its state is the source's, but a hazard: what will happen).
/// </summary>
public sealed record EvidenceItem(string Subject, bool Passed, string? Expected = null, string? Actual = null, string? Note = null, string? Warning = null);

/// <summary>A warning about the source: the check, the object (table, column, constraint) and what will happen.</summary>
public sealed record EvidenceWarning(string Check, string Object, string Message)
{
    /// <summary>The warnings of every item of <paramref name="checks"/>, in order.</summary>
    public static List<EvidenceWarning> Of(IEnumerable<EvidenceCheck> checks) =>
        [.. checks.SelectMany(c => c.Items.Where(i => i.Warning is not null).Select(i => new EvidenceWarning(c.Name, i.Subject, i.Warning!)))];
}
