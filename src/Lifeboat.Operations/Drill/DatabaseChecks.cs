using System.Collections.Concurrent;
using System.Globalization;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;

namespace Lifeboat.Operations.Drill;

/// <summary>
/// The drill's checks against the snapshot's manifest and the restored catalog: (1) every table
/// exists with the manifest's row count, (2) every table's content hash matches, (3) every foreign
/// key holds, (4) row-level security is as it was, (5) sequences are as they were. A state the
/// source had at the snapshot is never a failure: when it is a hazard, it is a warning about the source.
/// </summary>
internal static class DatabaseChecks
{
    /// <summary>
    /// Checks 1 and 2: row counts and SHA-256 of every table's COPY output, <paramref name="jobs"/> tables at a time;
    /// with the tables proven identical to the snapshot (rows and content match), which later checks rely on.
    /// </summary>
    public static async Task<(EvidenceCheck Rows, EvidenceCheck Hashes, IReadOnlySet<TableName> Identical)> RowsAndHashesAsync(
        PgConnectionInfo target, BackupManifest manifest, int jobs, CancellationToken cancellationToken)
    {
        var existing = await DatabaseCatalog.ListTablesAsync(target, cancellationToken);

        var rows = new ConcurrentDictionary<TableEntry, EvidenceItem>();
        var hashes = new ConcurrentDictionary<TableEntry, EvidenceItem>();
        var identical = new ConcurrentDictionary<TableName, bool>();
        var toRead = new List<TableEntry>();
        foreach (var table in manifest.Tables)
        {
            var name = Name(table);
            if (!existing.Contains(new TableName(table.Schema, table.Name)))
            {
                rows[table] = new EvidenceItem(name, false, Expected(table), "missing", "the table does not exist in the restored database");
                if (table.Sha256 is not null)
                {
                    hashes[table] = new EvidenceItem(name, false, table.Sha256, "missing", "the table does not exist in the restored database");
                }
            }
            else if (table.Stream is null || table.Sha256 is null)
            {
                rows[table] = new EvidenceItem(name, true, "exists", "exists", table.Kind == "partitioned" ? "partitioned parent: its rows are in its partitions" : "data not captured (--exclude-table-data)");
            }
            else
            {
                toRead.Add(table);
            }
        }

        await Parallel.ForEachAsync(toRead.OrderByDescending(t => t.Bytes),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = cancellationToken },
            async (table, ct) =>
            {
                var name = Name(table);
                var (actual, error) = await PostgresVerifier.TryComputeChecksumAsync(target, table, ct);
                if (error is not null)
                {
                    rows[table] = new EvidenceItem(name, false, Count(table.Rows), "unreadable", error);
                    hashes[table] = new EvidenceItem(name, false, table.Sha256, "unreadable", error);
                    return;
                }

                rows[table] = new EvidenceItem(name, actual.Rows == table.Rows, Count(table.Rows), Count(actual.Rows));
                hashes[table] = new EvidenceItem(name, actual.Matches(table), table.Sha256, actual.Sha256,
                    actual.Reordered(table) ? $"{actual.Bytes} bytes; same rows in another physical order (row digest {actual.RowsDigest})" : $"{actual.Bytes} bytes");
                if (actual.Rows == table.Rows && actual.Matches(table))
                {
                    identical[new TableName(table.Schema, table.Name)] = true;
                }
            });

        var rowItems = manifest.Tables.Select(t => rows[t]).ToList();
        var hashItems = manifest.Tables.Where(hashes.ContainsKey).Select(t => hashes[t]).ToList();
        var rowFailures = rowItems.Count(i => !i.Passed);
        var hashFailures = hashItems.Count(i => !i.Passed);
        return (
            new EvidenceCheck("row-counts", "Every table exists with the snapshot's row count", rowFailures == 0,
                rowFailures == 0 ? $"{rowItems.Count} table(s), {manifest.Tables.Sum(t => t.Rows)} row(s): all match" : $"{rowFailures} of {rowItems.Count} table(s) differ: {Names(rowItems)}",
                rowItems),
            new EvidenceCheck("content-hashes", "Every table's content (SHA-256 of COPY output) equals the snapshot's", hashFailures == 0,
                hashFailures == 0 ? $"{hashItems.Count} table(s) hashed: all identical" : $"{hashFailures} of {hashItems.Count} table(s) differ: {Names(hashItems)}",
                hashItems),
            identical.Keys.ToHashSet());
    }

    /// <summary>
    /// Check 3: no foreign key has an orphan row (MATCH SIMPLE; MATCH FULL also counts partly-null keys) that
    /// the source did not have. Orphans in tables proven identical to the snapshot (<paramref name="identical"/>:
    /// rows and SHA-256 match) were in the source: a warning about the source (legal for a NOT VALID key), not a
    /// failure. The validation state is the restored schema's, which the snapshot's schema archive defines.
    /// </summary>
    public static async Task<EvidenceCheck> ForeignKeysAsync(DatabaseCatalog catalog, IReadOnlySet<TableName> identical, CancellationToken cancellationToken)
    {
        var keys = await catalog.ListForeignKeysAsync(cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var key in keys)
        {
            var subject = $"{key.Schema}.{key.Table}";
            var note = $"{key.Name}: ({string.Join(", ", key.Columns)}) → {key.RefSchema}.{key.RefTable} ({string.Join(", ", key.RefColumns)}){(key.Validated ? "" : ", NOT VALID")}";
            var (count, error) = await catalog.CountOrphansAsync(key, cancellationToken);
            if (error is not null)
            {
                items.Add(new EvidenceItem(subject, false, "0 orphans", "error", $"{note}: {error}"));
                continue;
            }

            var found = $"{count} orphans";
            if (count == 0)
            {
                items.Add(new EvidenceItem(subject, true, "0 orphans", found, note));
            }
            else if (!key.DataTables.All(identical.Contains))
            {
                items.Add(new EvidenceItem(subject, false, "0 orphans", found, $"{note}; the tables differ from the snapshot, so these orphans are not the source's"));
            }
            else
            {
                var warning = key.Validated
                    ? $"foreign key {key.Name} on {subject} is validated but {count} row(s) have no referenced row in {key.RefSchema}.{key.RefTable} in the source " +
                      "(its triggers were bypassed, e.g. with session_replication_role = replica): a restore that validates it fails, and updates of those rows fail"
                    : $"foreign key {key.Name} on {subject} is NOT VALID and {count} row(s) have no referenced row in {key.RefSchema}.{key.RefTable} in the source: " +
                      "ALTER TABLE ... VALIDATE CONSTRAINT will fail until they are fixed";
                items.Add(new EvidenceItem(subject, true, "orphans as in the snapshot", found, note + "; the same rows as the source's", warning));
            }
        }

        var failed = items.Where(i => !i.Passed).ToList();
        var warned = items.Count(i => i.Warning is not null);
        return new EvidenceCheck("foreign-keys", "Every foreign key holds (no orphan rows the source did not have)", failed.Count == 0,
            failed.Count > 0 ? $"{failed.Count} of {items.Count} foreign key(s) broken: {Names(failed)}"
            : warned == 0 ? $"{items.Count} foreign key(s): no orphans"
            : $"{items.Count} foreign key(s): no orphans the source did not have; {warned} with orphans in the source (warning)", items);
    }

    /// <summary>Check 4: RLS enabled and forced on exactly the tables where it was, with the same number of policies.</summary>
    public static async Task<EvidenceCheck> RowLevelSecurityAsync(DatabaseCatalog catalog, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var actual = (await catalog.ListRowSecurityAsync(cancellationToken))
            .ToDictionary(t => t.Table, t => new RlsState(t.Enabled, t.Forced, t.Policies));
        var items = new List<EvidenceItem>();
        foreach (var table in manifest.Tables)
        {
            var expected = new RlsState(table.RlsEnabled, table.RlsForced, table.PolicyCount);
            var found = actual.GetValueOrDefault(new TableName(table.Schema, table.Name));
            if (found is null)
            {
                items.Add(new EvidenceItem(Name(table), false, expected.ToString(), "missing", "the table does not exist in the restored database"));
            }
            else if (expected.Any || found.Any)
            {
                var unenforced = expected == found && found is { Enabled: false, Policies: > 0 }
                    ? $"{found.Policies} polic{(found.Policies == 1 ? "y" : "ies")} on {Name(table)} {(found.Policies == 1 ? "is" : "are")} not enforced in the source: row-level security is disabled on the table (ALTER TABLE ... ENABLE ROW LEVEL SECURITY)"
                    : null;
                items.Add(new EvidenceItem(Name(table), expected == found, expected.ToString(), found.ToString(), Warning: unenforced));
            }
        }

        var failed = items.Where(i => !i.Passed).ToList();
        var covered = manifest.Tables.Count(t => t.RlsEnabled || t.PolicyCount > 0);
        return new EvidenceCheck("row-level-security", "Row-level security enabled/forced where it was, with the same policy count", failed.Count == 0,
            failed.Count == 0 ? $"{covered} table(s) with RLS or policies: all as in the snapshot{Warned(items, "with policies not enforced in the source")}" : $"{failed.Count} table(s) differ: {Names(failed)}", items);
    }

    /// <summary>Check 5: see <see cref="SequenceCheck"/>.</summary>
    public static Task<EvidenceCheck> SequencesAsync(DatabaseCatalog catalog, BackupManifest manifest, IReadOnlySet<TableName> identical, CancellationToken cancellationToken) =>
        SequenceCheck.RunAsync(catalog, manifest, identical, cancellationToken);

    private static string Name(TableEntry table) => table.Schema + "." + table.Name;

    private static string Expected(TableEntry table) => table.Stream is null ? "exists" : Count(table.Rows);

    private static string Count(long rows) => rows.ToString(CultureInfo.InvariantCulture) + " rows";

    /// <summary>"; N &lt;what&gt; (warning)" when items carry warnings, else empty.</summary>
    internal static string Warned(IEnumerable<EvidenceItem> items, string what) =>
        items.Count(i => i.Warning is not null) is var n and > 0 ? $"; {n} {what} (warning)" : "";

    internal static string Names(IEnumerable<EvidenceItem> items)
    {
        var failed = items.Where(i => !i.Passed).Select(i => i.Subject).Distinct().ToList();
        return string.Join(", ", failed.Take(10)) + (failed.Count > 10 ? $" and {failed.Count - 10} more" : "");
    }

    private sealed record RlsState(bool Enabled, bool Forced, int Policies)
    {
        public bool Any => Enabled || Forced || Policies > 0;

        public override string ToString() => $"rls {(Enabled ? "on" : "off")}, forced {(Forced ? "yes" : "no")}, {Policies} polic{(Policies == 1 ? "y" : "ies")}";
    }
}
