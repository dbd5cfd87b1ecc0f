using System.Collections.Concurrent;

namespace Lifeboat.Postgres;

/// <summary>
/// What a whole restore has done to its target so far: the step it is at, whether it changed the
/// target yet, and how many parts of each table's rows are committed. A failed restore reads it
/// to say what it leaves behind.
/// </summary>
public sealed class RestoreLedger
{
    private readonly ConcurrentDictionary<string, int> _loaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _planned = new(StringComparer.Ordinal);
    private volatile string _step = "checking the target";
    private volatile bool _changed;

    /// <summary>The step under way (or the one that failed): "pre-data", "table data", "indexes", ...</summary>
    public string Step => _step;

    /// <summary>Whether the restore has written to the target (cleaned it, or begun its schema).</summary>
    public bool TargetChanged => _changed;

    /// <summary>Whether the snapshot's roles and tablespaces were applied (a failure leaves them: they belong to the server).</summary>
    public bool GlobalsApplied { get; internal set; }

    /// <summary>Whether rows went into tables the target had already (the data-only tables of a platform profile).</summary>
    public bool LoadedIntoExistingTables { get; private set; }

    internal void Enter(string step, bool changesTarget = true)
    {
        _step = step;
        if (changesTarget)
            _changed = true;
    }

    internal void Planned(TableEntry table, int parts) => _planned[Display(table)] = parts;

    internal void PartLoaded(TableEntry table)
    {
        _loaded.AddOrUpdate(Display(table), 1, (_, n) => n + 1);
        if (table.DataOnly)
            LoadedIntoExistingTables = true;
    }

    /// <summary>The tables of <paramref name="manifest"/> that hold rows in the snapshot, by how far their rows are in.</summary>
    public (IReadOnlyList<string> Loaded, IReadOnlyList<string> PartlyLoaded, IReadOnlyList<string> NotLoaded) Tables(BackupManifest manifest)
    {
        List<string> loaded = [], partly = [], notLoaded = [];
        foreach (var table in manifest.Tables.Where(t => t.Stream is not null).Select(Display))
        {
            var done = _loaded.GetValueOrDefault(table);
            var parts = _planned.GetValueOrDefault(table, 1);
            (done == 0 ? notLoaded : done >= parts ? loaded : partly).Add(table);
        }

        return (loaded, partly, notLoaded);
    }

    private static string Display(TableEntry table) => table.Schema + "." + table.Name;
}

/// <summary>What a failed whole-database restore left behind, for the message, <c>--json</c> and the audit.</summary>
public sealed record RestoreAftermath
{
    /// <summary>The database the restore was for (its name).</summary>
    public required string Database { get; init; }

    /// <summary>The step that failed.</summary>
    public required string FailedStep { get; init; }

    /// <summary>
    /// <c>nothing</c> (the database it created was dropped), <c>empty</c> (what it created in the existing
    /// target was removed), <c>kept</c> (<c>--keep-failed</c>: the target holds part of the snapshot),
    /// <c>incomplete</c> (it could not be cleaned up: the target holds part of the snapshot), or
    /// <c>staging</c> (the staging database could not be dropped; the target was not created).
    /// </summary>
    public required string LeftBehind { get; init; }

    /// <summary>Whether a database holding part of the snapshot remains under the target's name.</summary>
    public bool TargetIncomplete => LeftBehind is "kept" or "incomplete";

    /// <summary>Where the target holds part of the snapshot: the tables whose rows are all in.</summary>
    public IReadOnlyList<string>? TablesLoaded { get; init; }

    /// <summary>... the tables with some of their rows in.</summary>
    public IReadOnlyList<string>? TablesPartlyLoaded { get; init; }

    /// <summary>... the tables with none of their rows in.</summary>
    public IReadOnlyList<string>? TablesNotLoaded { get; init; }

    /// <summary>Why the cleanup did not happen, when it was tried and failed.</summary>
    public string? CleanupError { get; init; }

    /// <summary>One or two sentences for the terminal.</summary>
    public required string Summary { get; init; }

    /// <summary>The aftermath of a failed restore that keeps (or could not remove) part of the snapshot in <paramref name="database"/>.</summary>
    public static RestoreAftermath Incomplete(string database, string leftBehind, RestoreLedger ledger, BackupManifest manifest, string? cleanupError, string headline, string advice)
    {
        var (loaded, partly, notLoaded) = ledger.Tables(manifest);
        var tables = $"tables loaded: {List(loaded)}; partly loaded: {List(partly)}; not loaded: {List(notLoaded)}";
        var schema = ledger.Step is "indexes" or "post-data" or "analyze" ? $" (all rows are in, but {ledger.Step} did not finish: indexes, constraints or triggers are missing)" : "";
        return new RestoreAftermath
        {
            Database = database,
            FailedStep = ledger.Step,
            LeftBehind = leftBehind,
            TablesLoaded = loaded,
            TablesPartlyLoaded = partly,
            TablesNotLoaded = notLoaded,
            CleanupError = cleanupError,
            Summary = $"{headline}{schema}. {char.ToUpperInvariant(tables[0])}{tables[1..]}. {advice}",
        };
    }

    private static string List(IReadOnlyList<string> tables) =>
        tables.Count == 0 ? "none" : string.Join(", ", tables.Take(10)) + (tables.Count > 10 ? $" and {tables.Count - 10} more" : "");
}

/// <summary>
/// A restore failed (<see cref="Exception.InnerException"/> says why) and <see cref="Aftermath"/> says
/// what it left behind; the exit code is the cause's.
/// </summary>
public sealed class RestoreAbandonedException(Exception cause, RestoreAftermath aftermath)
    : Exception(Sentence(cause is OperationCanceledException ? "interrupted" : cause.Message) + " " + aftermath.Summary, cause)
{
    private static string Sentence(string text)
    {
        var trimmed = text.TrimEnd();
        return trimmed.EndsWith('.') || trimmed.EndsWith('!') || trimmed.EndsWith('?') ? trimmed : trimmed + ".";
    }

    /// <summary>What the failed restore left behind.</summary>
    public RestoreAftermath Aftermath { get; } = aftermath;
}
