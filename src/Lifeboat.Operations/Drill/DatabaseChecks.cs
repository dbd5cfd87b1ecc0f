using System.Collections.Concurrent;
using System.Globalization;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;
using Npgsql;

namespace Lifeboat.Operations.Drill;

/// <summary>
/// The drill's checks against the snapshot's manifest and the restored catalog: (1) every table
/// exists with the manifest's row count, (2) every table's content hash matches, (3) every foreign
/// key holds, (4) row-level security is as it was, (5) sequences are at or above what they fed.
/// </summary>
internal static class DatabaseChecks
{
    private const string UserSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'";

    /// <summary>Checks 1 and 2: row counts and SHA-256 of every table's COPY output, <paramref name="jobs"/> tables at a time.</summary>
    public static async Task<(EvidenceCheck Rows, EvidenceCheck Hashes)> RowsAndHashesAsync(
        PgConnectionInfo target, BackupManifest manifest, int jobs, CancellationToken cancellationToken)
    {
        HashSet<string> existing;
        await using (var connection = await PgErrors.OpenAsync(target, cancellationToken))
        {
            existing = [.. await ListAsync(connection,
                $"SELECT n.nspname::text || '.' || c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {UserSchemas}",
                r => r.GetString(0), cancellationToken)];
        }

        var rows = new ConcurrentDictionary<TableEntry, EvidenceItem>();
        var hashes = new ConcurrentDictionary<TableEntry, EvidenceItem>();
        var toRead = new List<TableEntry>();
        foreach (var table in manifest.Tables)
        {
            var name = Name(table);
            if (!existing.Contains(table.Schema + "." + table.Name))
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
                try
                {
                    var actual = (await PostgresVerifier.ComputeChecksumsAsync(target, [table], ct))[0];
                    rows[table] = new EvidenceItem(name, actual.Rows == table.Rows, Count(table.Rows), Count(actual.Rows));
                    hashes[table] = new EvidenceItem(name, actual.Matches(table), table.Sha256, actual.Sha256,
                        actual.Reordered(table) ? $"{actual.Bytes} bytes; same rows in another physical order (row digest {actual.RowsDigest})" : $"{actual.Bytes} bytes");
                }
                catch (PostgresException e)
                {
                    rows[table] = new EvidenceItem(name, false, Count(table.Rows), "unreadable", e.MessageText);
                    hashes[table] = new EvidenceItem(name, false, table.Sha256, "unreadable", e.MessageText);
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
                hashItems));
    }

    /// <summary>Check 3: no row of any foreign key lacks its referenced row (MATCH SIMPLE; MATCH FULL also counts partly-null keys).</summary>
    public static async Task<EvidenceCheck> ForeignKeysAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var keys = await ListAsync(connection, $"""
            SELECT c.conname::text, n.nspname::text, cl.relname::text, cl.relkind::text, fn.nspname::text, fl.relname::text, fl.relkind::text, c.confmatchtype::text,
                   ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(num, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.i),
                   ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(num, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.i)
            FROM pg_constraint c
            JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
            JOIN pg_class fl ON fl.oid = c.confrelid JOIN pg_namespace fn ON fn.oid = fl.relnamespace
            WHERE c.contype = 'f' AND c.conparentid = 0 AND {UserSchemas}
            ORDER BY 2, 3, 1
            """,
            r => new ForeignKey(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)[0], r.GetString(4), r.GetString(5), r.GetString(6)[0],
                r.GetString(7)[0], r.GetFieldValue<string[]>(8), r.GetFieldValue<string[]>(9)),
            cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var key in keys)
        {
            var subject = $"{key.Schema}.{key.Table}";
            var note = $"{key.Name}: ({string.Join(", ", key.Columns)}) → {key.RefSchema}.{key.RefTable} ({string.Join(", ", key.RefColumns)})";
            var orphans = await ScalarInSavepointAsync(connection, key.OrphanQuery(), cancellationToken);
            items.Add(orphans.Error is { } error
                ? new EvidenceItem(subject, false, "0 orphans", "error", $"{note}: {error}")
                : new EvidenceItem(subject, Convert.ToInt64(orphans.Value, CultureInfo.InvariantCulture) == 0, "0 orphans", $"{orphans.Value} orphans", note));
        }

        var failed = items.Where(i => !i.Passed).ToList();
        return new EvidenceCheck("foreign-keys", "Every foreign key holds (no orphan rows)", failed.Count == 0,
            failed.Count == 0 ? $"{items.Count} foreign key(s): no orphans" : $"{failed.Count} of {items.Count} foreign key(s) broken: {Names(failed)}", items);
    }

    /// <summary>Check 4: RLS enabled and forced on exactly the tables where it was, with the same number of policies.</summary>
    public static async Task<EvidenceCheck> RowLevelSecurityAsync(NpgsqlConnection connection, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var actual = (await ListAsync(connection, $"""
            SELECT n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {UserSchemas}
            """,
            r => (Key: r.GetString(0) + "." + r.GetString(1), State: new RlsState(r.GetBoolean(2), r.GetBoolean(3), r.GetInt32(4))),
            cancellationToken)).ToDictionary(x => x.Key, x => x.State, StringComparer.Ordinal);
        var items = new List<EvidenceItem>();
        foreach (var table in manifest.Tables)
        {
            var expected = new RlsState(table.RlsEnabled, table.RlsForced, table.PolicyCount);
            var found = actual.GetValueOrDefault(table.Schema + "." + table.Name);
            if (found is null)
            {
                items.Add(new EvidenceItem(Name(table), false, expected.ToString(), "missing", "the table does not exist in the restored database"));
            }
            else if (expected.Any || found.Any)
            {
                items.Add(new EvidenceItem(Name(table), expected == found, expected.ToString(), found.ToString()));
            }
        }

        var failed = items.Where(i => !i.Passed).ToList();
        var covered = manifest.Tables.Count(t => t.RlsEnabled || t.PolicyCount > 0);
        return new EvidenceCheck("row-level-security", "Row-level security enabled/forced where it was, with the same policy count", failed.Count == 0,
            failed.Count == 0 ? $"{covered} table(s) with RLS or policies: all as in the snapshot" : $"{failed.Count} table(s) differ: {Names(failed)}", items);
    }

    /// <summary>Check 5: every sequence feeding a column (owned by, identity, serial, or a nextval default) is at or beyond the column's values.</summary>
    public static async Task<EvidenceCheck> SequencesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string Fed = """
            SELECT DISTINCT sn.nspname::text, s.relname::text, tn.nspname::text, t.relname::text, a.attname::text, ps.seqincrement
            FROM (SELECT d.objid AS seq, d.refobjid AS tab, d.refobjsubid AS col FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
                  UNION
                  SELECT d.refobjid, ad.adrelid, ad.adnum FROM pg_attrdef ad
                  JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass) f
            JOIN pg_class s ON s.oid = f.seq AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_sequence ps ON ps.seqrelid = s.oid
            JOIN pg_class t ON t.oid = f.tab AND t.relkind IN ('r', 'p') JOIN pg_namespace tn ON tn.oid = t.relnamespace
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = f.col
            WHERE tn.nspname NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 3, 4, 5, 1, 2
            """;
        var fed = await ListAsync(connection, Fed,
            r => (SeqSchema: r.GetString(0), Seq: r.GetString(1), Schema: r.GetString(2), Table: r.GetString(3), Column: r.GetString(4), Increment: r.GetInt64(5)),
            cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var f in fed)
        {
            var subject = $"{f.Schema}.{f.Table}.{f.Column}";
            var sequence = Sql.Qualify(f.SeqSchema, f.Seq);
            var ascending = f.Increment > 0;
            var query = $"""
                SELECT s.last_value::numeric, s.is_called, (SELECT {(ascending ? "max" : "min")}({Sql.Ident(f.Column)})::numeric FROM {Sql.Qualify(f.Schema, f.Table)}) FROM {sequence} s
                """;
            var result = await RowInSavepointAsync(connection, query, cancellationToken);
            if (result.Error is { } error)
            {
                items.Add(new EvidenceItem(subject, false, null, "error", $"sequence {f.SeqSchema}.{f.Seq}: {error}"));
                continue;
            }

            var (last, isCalled, extreme) = ((decimal)result.Values![0]!, (bool)result.Values[1]!, result.Values[2] as decimal?);
            var used = isCalled ? last : last - f.Increment;
            var passed = extreme is null || (ascending ? used >= extreme : used <= extreme);
            items.Add(new EvidenceItem(subject, passed,
                extreme is null ? "any (the column is empty)" : (ascending ? "≥ " : "≤ ") + extreme.Value.ToString(CultureInfo.InvariantCulture),
                used.ToString(CultureInfo.InvariantCulture),
                $"sequence {f.SeqSchema}.{f.Seq} (last_value {last.ToString(CultureInfo.InvariantCulture)}, is_called {isCalled.ToString().ToLowerInvariant()})"));
        }

        var failed = items.Where(i => !i.Passed).ToList();
        return new EvidenceCheck("sequences", "Sequences are at or above the values of the columns they feed", failed.Count == 0,
            failed.Count == 0 ? $"{items.Count} sequence-fed column(s): all sequences ahead" : $"{failed.Count} sequence(s) behind their column: {Names(failed)}", items);
    }

    /// <summary>Opens a connection for the catalog checks: row security off (a policy would hide rows), read-only.</summary>
    public static async Task<NpgsqlConnection> OpenReadOnlyAsync(PgConnectionInfo target, CancellationToken cancellationToken)
    {
        var connection = await PgErrors.OpenAsync(target, cancellationToken);
        await using var command = new NpgsqlCommand("SET row_security = off; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    internal static async Task<List<T>> ListAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(read(reader));
        }

        return list;
    }

    internal static async Task<(object? Value, string? Error)> ScalarInSavepointAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var (values, error) = await RowInSavepointAsync(connection, sql, cancellationToken);
        return (values?.FirstOrDefault(), error);
    }

    /// <summary>The first row of <paramref name="sql"/> (null values when no row), or the error, without aborting the transaction.</summary>
    internal static async Task<(object?[]? Values, string? Error)> RowInSavepointAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "SAVEPOINT lifeboat_check", cancellationToken);
        try
        {
            object?[]? values = null;
            await using (var command = new NpgsqlCommand(sql, connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    values = new object?[reader.FieldCount];
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    }
                }
            }

            await ExecuteAsync(connection, "RELEASE SAVEPOINT lifeboat_check", cancellationToken);
            return (values ?? [], null);
        }
        catch (PostgresException e)
        {
            await ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT lifeboat_check", cancellationToken);
            return (null, e.MessageText);
        }
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Name(TableEntry table) => table.Schema + "." + table.Name;

    private static string Expected(TableEntry table) => table.Stream is null ? "exists" : Count(table.Rows);

    private static string Count(long rows) => rows.ToString(CultureInfo.InvariantCulture) + " rows";

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

    private sealed record ForeignKey(
        string Name, string Schema, string Table, char Kind, string RefSchema, string RefTable, char RefKind, char Match, string[] Columns, string[] RefColumns)
    {
        public string OrphanQuery()
        {
            var child = (Kind == 'p' ? "" : "ONLY ") + Sql.Qualify(Schema, Table);
            var parent = (RefKind == 'p' ? "" : "ONLY ") + Sql.Qualify(RefSchema, RefTable);
            var notNull = string.Join(" AND ", Columns.Select(c => $"c.{Sql.Ident(c)} IS NOT NULL"));
            var join = string.Join(" AND ", Columns.Zip(RefColumns, (c, p) => $"p.{Sql.Ident(p)} = c.{Sql.Ident(c)}"));
            var unmatched = $"({notNull} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {join}))";
            if (Match == 'f' && Columns.Length > 1)
            {
                var cols = string.Join(", ", Columns.Select(c => "c." + Sql.Ident(c)));
                unmatched += $" OR (num_nulls({cols}) BETWEEN 1 AND {Columns.Length - 1})";
            }

            return $"SELECT count(*) FROM {child} c WHERE {unmatched}";
        }
    }
}
