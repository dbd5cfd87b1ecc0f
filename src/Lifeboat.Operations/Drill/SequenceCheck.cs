using System.Globalization;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;

namespace Lifeboat.Operations.Drill;

/// <summary>
/// Check 5: every sequence of the snapshot has the <c>last_value</c> and <c>is_called</c> the manifest recorded
/// (in the snapshot's transaction). A sequence as in the source that is behind a column it feeds (rows inserted
/// with explicit ids, <c>OVERRIDING SYSTEM VALUE</c>, a shared or cycling sequence) is the source's state when the
/// column's tables are identical to the snapshot: a warning about the source, saying what the next inserts will do.
/// </summary>
internal static class SequenceCheck
{
    private const string BehindChangedColumn = "; behind its column, whose table differs from the snapshot: not the source's state";

    private const string NotRecorded = "; not recorded in the snapshot: compared with its column only";

    public static async Task<EvidenceCheck> RunAsync(DatabaseCatalog catalog, BackupManifest manifest, IReadOnlySet<TableName> identical, CancellationToken cancellationToken)
    {
        var recorded = manifest.Sequences.ToDictionary(s => new TableName(s.Schema, s.Name));
        var feeds = await catalog.ListSequenceFeedsAsync(cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var feed in feeds)
        {
            items.Add(await FeedAsync(catalog, feed, recorded.GetValueOrDefault(new TableName(feed.SequenceSchema, feed.Sequence)), identical, cancellationToken));
        }

        var fed = feeds.Select(f => new TableName(f.SequenceSchema, f.Sequence)).ToHashSet();
        foreach (var (name, snapshot) in recorded.Where(r => !fed.Contains(r.Key)))
        {
            var (value, error) = await catalog.ReadSequenceAsync(name, cancellationToken);
            items.Add(error is not null
                ? new EvidenceItem(name.ToString(), false, State(snapshot), "error", error)
                : new EvidenceItem(name.ToString(), Same(snapshot, value.LastValue, value.IsCalled), State(snapshot),
                    State(value.LastValue, value.IsCalled), "feeds no column"));
        }

        var failed = items.Where(i => !i.Passed).ToList();
        return new EvidenceCheck("sequences", "Every sequence is as it was in the snapshot", failed.Count == 0,
            failed.Count == 0
                ? $"{items.Count} sequence(s) and sequence-fed column(s): all as in the snapshot{DatabaseChecks.Warned(items, "behind their column in the source")}"
                : FailureSummary(failed),
            items);
    }

    /// <summary>What failed, in words that fit each item: a sequence that differs from the snapshot, one behind a column whose table does, one unreadable.</summary>
    private static string FailureSummary(List<EvidenceItem> failed)
    {
        var unreadable = failed.Count(i => i.Actual == "error");
        var behindChanged = failed.Count(i => i.Note?.EndsWith(BehindChangedColumn, StringComparison.Ordinal) == true);
        var behindUnrecorded = failed.Count(i => i.Note?.EndsWith(NotRecorded, StringComparison.Ordinal) == true);
        var parts = new (int Count, string What)[]
        {
            (failed.Count - unreadable - behindChanged - behindUnrecorded, "differ from the snapshot"),
            (behindChanged, "are as in the snapshot but behind a column whose table differs from it"),
            (behindUnrecorded, "are not recorded in the snapshot and behind their column"),
            (unreadable, "could not be read"),
        };
        return $"{failed.Count} sequence(s) fail: {string.Join("; ", parts.Where(p => p.Count > 0).Select(p => $"{p.Count} {p.What}"))}: {DatabaseChecks.Names(failed)}";
    }

    private static async Task<EvidenceItem> FeedAsync(
        DatabaseCatalog catalog, SequenceFeed feed, SequenceEntry? snapshot, IReadOnlySet<TableName> identical, CancellationToken cancellationToken)
    {
        var subject = $"{feed.Schema}.{feed.Table}.{feed.Column}";
        var sequence = $"{feed.SequenceSchema}.{feed.Sequence}";
        var (value, error) = await catalog.ReadFeedAsync(feed, cancellationToken);
        if (error is not null)
        {
            return new EvidenceItem(subject, false, snapshot is null ? null : State(snapshot), "error", $"sequence {sequence}: {error}");
        }

        var (last, isCalled, extreme) = (value.LastValue, value.IsCalled, value.ColumnExtreme);
        var ascending = feed.Increment > 0;
        var used = isCalled ? last : last - feed.Increment;
        var behind = extreme is { } e && (ascending ? used < e : used > e);
        var bound = ascending ? "maximum" : "minimum";
        var column = extreme is null ? "the column is empty" : $"the column's {bound} is {Number(extreme.Value)}";
        var note = $"sequence {sequence}; {column}";
        var actual = State(last, isCalled);
        if (snapshot is null)
        {
            // not in the manifest (not selected by the backup): only the column can be compared
            return new EvidenceItem(subject, !behind, extreme is null ? "any" : (ascending ? "≥ " : "≤ ") + Number(extreme.Value), actual,
                note + NotRecorded);
        }

        if (!Same(snapshot, last, isCalled))
        {
            return new EvidenceItem(subject, false, State(snapshot), actual, note + "; the sequence differs from the snapshot");
        }

        if (!behind)
        {
            return new EvidenceItem(subject, true, State(snapshot), actual, note);
        }

        if (!feed.DataTables.All(identical.Contains))
        {
            return new EvidenceItem(subject, false, State(snapshot), actual, note + BehindChangedColumn);
        }

        if (feed.Cycles && !feed.ColumnUnique)
        {
            return new EvidenceItem(subject, true, State(snapshot), actual, note + "; the sequence cycles and the column is not unique: values repeat by design");
        }

        var next = isCalled ? last + feed.Increment : last;
        // a column that cannot be searched (an error) counts as not taken, as the warning's weaker wording then says
        var taken = feed.ColumnUnique && (await catalog.IsTakenAsync(feed, next, cancellationToken)).Value;
        var cycles = feed.Cycles ? " (the sequence cycles)" : "";
        var warning = !feed.ColumnUnique
            ? $"sequence {sequence} is behind its column {subject} in the source (next value {Number(next)}, {column}){cycles}: inserts will repeat values already in the column"
            : taken
                ? $"sequence {sequence} is behind its column {subject} in the source: the next insert will fail with a duplicate key ({Number(next)} is taken; {column}){cycles}"
                : $"sequence {sequence} is behind its column {subject} in the source (next value {Number(next)}, {column}){cycles}: inserts will fail with a duplicate key once the sequence reaches a taken value";
        return new EvidenceItem(subject, true, State(snapshot), actual, note + "; the same as the source's", warning);
    }

    private static bool Same(SequenceEntry snapshot, decimal last, bool isCalled) => snapshot.LastValue == last && snapshot.IsCalled == isCalled;

    private static string State(SequenceEntry s) => State(s.LastValue, s.IsCalled);

    private static string State(decimal last, bool isCalled) => $"last_value {Number(last)}, is_called {(isCalled ? "true" : "false")}";

    private static string Number(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
