using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>A table as listed from the catalog.</summary>
internal sealed record CatalogTable(
    uint Oid, string Schema, string Name, char Kind, bool IsPartition, bool Visible, bool RlsEnabled, bool RlsForced,
    int PolicyCount, long SizeBytes, IReadOnlyList<string> Columns, bool CanSelect, bool OrderSensitive, IReadOnlyList<string>? OrderKey)
{
    /// <summary>
    /// What a capture reads: <c>COPY "s"."t" (cols)</c> in physical order, or, with an order key,
    /// <c>COPY (SELECT cols FROM ONLY "s"."t" ORDER BY key)</c> (see <see cref="CatalogReader.OrderKeySql"/>).
    /// </summary>
    public string CopySource(bool ordered)
    {
        var qualified = Sql.Qualify(Schema, Name);
        return ordered && OrderKey is { Count: > 0 } key && Columns.Count > 0
            ? $"(SELECT {string.Join(", ", Columns.Select(Sql.Ident))} FROM ONLY {qualified} ORDER BY {string.Join(", ", key.Select(Sql.Ident))})"
            : qualified + Sql.ColumnList(Columns);
    }
}

/// <summary>A sequence as listed from the catalog, with the table owning it (serial / identity), if any.</summary>
internal sealed record CatalogSequence(string Schema, string Name, bool Visible, uint? OwnerTableOid, bool CanSelect);

/// <summary>Catalog queries shared by capture, restore and verification.</summary>
internal static class CatalogReader
{
    private const string UserRelations = """
        n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'
        AND c.relpersistence <> 't'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        """;

    /// <summary>
    /// The primary key's columns when its leading column is an integer, date or timestamp (values that
    /// mostly grow) and the planner's statistics say the rows lie in about that order on disk
    /// (|correlation| of at least 0.8): reading in key order then costs an index scan over mostly
    /// sequential pages. In key order a new row lands at the end of the stream, and an updated one stays
    /// where it was, whichever page PostgreSQL put it on: in physical order, rows inserted into space
    /// freed by VACUUM change a chunk each all through the stream. Only for rows of 256 bytes or more on
    /// average (table size / reltuples): the index scan costs the server per row, the saving is per byte
    /// (measured: see bench/README.md, "Figures behind choices in the code"). Null otherwise
    /// (no key, another type, no statistics, rows scattered, narrow rows).
    /// </summary>
    internal const string OrderKeySql = """
        (SELECT ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.n)
         FROM pg_catalog.pg_index x
         JOIN pg_catalog.pg_attribute lead ON lead.attrelid = c.oid AND lead.attnum = x.indkey[0]
         WHERE x.indrelid = c.oid AND x.indisprimary AND x.indexprs IS NULL
           AND c.reltuples > 0 AND pg_catalog.pg_table_size(c.oid) >= 256 * c.reltuples
           AND lead.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype,
                                 'pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype, 'pg_catalog.timestamptz'::pg_catalog.regtype)
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_stats st
                       WHERE st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = lead.attname
                         AND NOT st.inherited AND abs(st.correlation) >= 0.8))
        """;

    public static async Task<List<CatalogTable>> ListTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relispartition, pg_catalog.pg_table_is_visible(c.oid),
                   c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)::int,
                   pg_catalog.pg_table_size(c.oid),
                   ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                         ORDER BY a.attnum),
                   pg_catalog.has_table_privilege(c.oid, 'SELECT'),
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index x
                           JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid JOIN pg_catalog.pg_am am ON am.oid = i.relam
                           WHERE x.indrelid = c.oid AND (x.indisclustered OR am.amname = 'brin')),
                   {OrderKeySql}
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND {UserRelations}
            ORDER BY 10 DESC, 2, 3
            """;
        var tables = new List<CatalogTable>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(new CatalogTable(
                reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0], reader.GetBoolean(4),
                reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7), reader.GetInt32(8),
                reader.IsDBNull(9) ? 0 : reader.GetInt64(9), reader.GetFieldValue<string[]>(10), reader.GetBoolean(11), reader.GetBoolean(12),
                reader.IsDBNull(13) ? null : reader.GetFieldValue<string[]>(13)));
        }
        return tables;
    }

    public static async Task<List<CatalogSequence>> ListSequencesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT n.nspname::text, c.relname::text, pg_catalog.pg_table_is_visible(c.oid),
                   (SELECT d.refobjid FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                      AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1),
                   pg_catalog.has_sequence_privilege(c.oid, 'SELECT')
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'S' AND {UserRelations}
            ORDER BY 1, 2
            """;
        var sequences = new List<CatalogSequence>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sequences.Add(new CatalogSequence(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<uint>(3), reader.GetBoolean(4)));
        }
        return sequences;
    }

    public static async Task<List<uint>> ListLargeObjectsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var oids = new List<uint>();
        await using var command = new NpgsqlCommand("SELECT oid FROM pg_catalog.pg_largeobject_metadata ORDER BY oid", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            oids.Add(reader.GetFieldValue<uint>(0));
        return oids;
    }

    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? default : (T)value;
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="sql"/> inside a savepoint and returns null instead of failing (e.g. a function the role may not call).</summary>
    public static async Task<string?> TryScalarInTransactionAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "SAVEPOINT lifeboat_probe", cancellationToken);
        try
        {
            var value = await ScalarAsync<object>(connection, sql, cancellationToken);
            await ExecuteAsync(connection, "RELEASE SAVEPOINT lifeboat_probe", cancellationToken);
            return value?.ToString();
        }
        catch (PostgresException)
        {
            await ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT lifeboat_probe", cancellationToken);
            return null;
        }
    }
}
