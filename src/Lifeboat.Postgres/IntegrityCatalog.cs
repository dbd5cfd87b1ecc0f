using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>A table by schema and name.</summary>
public sealed record TableName(string Schema, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => Schema + "." + Name;
}

/// <summary>
/// A foreign key as the catalog holds it: its columns, whether it is validated (a <c>NOT VALID</c>
/// key does not vouch for the rows it had when it was added), and the tables holding rows of either
/// side (the tables themselves, or their partitions and inheritance children).
/// </summary>
public sealed record ForeignKeyDefinition(
    string Name, string Schema, string Table, char Kind, string RefSchema, string RefTable, char RefKind, char Match,
    IReadOnlyList<string> Columns, IReadOnlyList<string> RefColumns, bool Validated, IReadOnlyList<TableName> DataTables)
{
    /// <summary>Counts the rows without a referenced row (MATCH SIMPLE; MATCH FULL also counts partly-null keys).</summary>
    internal string OrphanCountSql()
    {
        var child = (Kind == 'p' ? "" : "ONLY ") + Sql.Qualify(Schema, Table);
        var parent = (RefKind == 'p' ? "" : "ONLY ") + Sql.Qualify(RefSchema, RefTable);
        var notNull = string.Join(" AND ", Columns.Select(c => $"c.{Sql.Ident(c)} IS NOT NULL"));
        var join = string.Join(" AND ", Columns.Zip(RefColumns, (c, p) => $"p.{Sql.Ident(p)} = c.{Sql.Ident(c)}"));
        var unmatched = $"({notNull} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {join}))";
        if (Match == 'f' && Columns.Count > 1)
        {
            var cols = string.Join(", ", Columns.Select(c => "c." + Sql.Ident(c)));
            unmatched += $" OR (num_nulls({cols}) BETWEEN 1 AND {Columns.Count - 1})";
        }

        return $"SELECT count(*) FROM {child} c WHERE {unmatched}";
    }
}

/// <summary>
/// A sequence feeding a column (OWNED BY, identity, or a <c>nextval()</c> default): its increment,
/// whether it cycles, whether the column alone is unique, and the tables holding the column's rows.
/// </summary>
public sealed record SequenceFeed(
    string SequenceSchema, string Sequence, string Schema, string Table, string Column, long Increment, bool Cycles, bool ColumnUnique,
    IReadOnlyList<TableName> DataTables)
{
    /// <summary>The sequence's <c>last_value</c> (numeric), <c>is_called</c>, and the column's maximum (minimum when it counts down).</summary>
    internal string StateSql() =>
        $"SELECT s.last_value::numeric, s.is_called, (SELECT {(Increment > 0 ? "max" : "min")}({Sql.Ident(Column)})::numeric FROM {Sql.Qualify(Schema, Table)}) FROM {Sql.Qualify(SequenceSchema, Sequence)} s";

    /// <summary>Whether <paramref name="value"/> is already in the column.</summary>
    internal string TakenSql(decimal value) =>
        $"SELECT EXISTS (SELECT 1 FROM {Sql.Qualify(Schema, Table)} WHERE {Sql.Ident(Column)} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}

/// <summary>
/// Catalog queries of the drill's checks (tables, row-level security, foreign keys, sequences), read from the
/// restored database; <see cref="DatabaseCatalog"/> runs them.
/// </summary>
internal static class IntegrityCatalog
{
    private const string UserSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'";

    /// <summary>
    /// The schemas (<paramref name="column"/> <c>nspname</c>) or names (<c>relname</c>) of the relation <paramref name="oid"/>
    /// (a column expression) and its partitions and inheritance children that hold rows, in oid order.
    /// </summary>
    private static string DataTables(string oid, string column) => $"""
        ARRAY(WITH RECURSIVE tree(oid) AS (SELECT {oid} UNION SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid)
              SELECT {column}::text FROM tree JOIN pg_class dc ON dc.oid = tree.oid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
              WHERE dc.relkind = 'r' ORDER BY dc.oid)
        """;

    /// <summary>The ordinary and partitioned tables of the user schemas.</summary>
    public static Task<List<TableName>> ListTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ReadAsync(connection,
            $"SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {UserSchemas}",
            r => new TableName(r.GetString(0), r.GetString(1)), cancellationToken);

    /// <summary>Row-level security (enabled, forced, policy count) of the ordinary and partitioned tables of the user schemas.</summary>
    public static Task<List<TableSecurity>> ListRowSecurityAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ReadAsync(connection, $"""
            SELECT n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {UserSchemas}
            """,
            r => new TableSecurity(new TableName(r.GetString(0), r.GetString(1)), r.GetBoolean(2), r.GetBoolean(3), r.GetInt32(4)),
            cancellationToken);

    /// <summary>Every foreign key of a user table (once per partitioned key).</summary>
    public static async Task<List<ForeignKeyDefinition>> ListForeignKeysAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT c.conname::text, n.nspname::text, cl.relname::text, cl.relkind::text, fn.nspname::text, fl.relname::text, fl.relkind::text, c.confmatchtype::text,
                   ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(num, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.i),
                   ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(num, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.i),
                   c.convalidated,
                   {DataTables("c.conrelid", "dn.nspname")} || {DataTables("c.confrelid", "dn.nspname")},
                   {DataTables("c.conrelid", "dc.relname")} || {DataTables("c.confrelid", "dc.relname")}
            FROM pg_constraint c
            JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
            JOIN pg_class fl ON fl.oid = c.confrelid JOIN pg_namespace fn ON fn.oid = fl.relnamespace
            WHERE c.contype = 'f' AND c.conparentid = 0 AND {UserSchemas}
            ORDER BY 2, 3, 1
            """;
        return await ReadAsync(connection, sql, r => new ForeignKeyDefinition(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)[0], r.GetString(4), r.GetString(5), r.GetString(6)[0], r.GetString(7)[0],
            r.GetFieldValue<string[]>(8), r.GetFieldValue<string[]>(9), r.GetBoolean(10), Names(r, 11)), cancellationToken);
    }

    /// <summary>Every sequence feeding a column of a user table, found through <c>pg_depend</c>.</summary>
    public static async Task<List<SequenceFeed>> ListSequenceFeedsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT sn.nspname::text, s.relname::text, tn.nspname::text, t.relname::text, a.attname::text, ps.seqincrement, ps.seqcycle,
                   EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = t.oid AND x.indisunique AND x.indnkeyatts = 1 AND x.indkey[0] = a.attnum AND x.indpred IS NULL),
                   {DataTables("t.oid", "dn.nspname")}, {DataTables("t.oid", "dc.relname")}
            FROM (SELECT DISTINCT seq, tab, col FROM (
                    SELECT d.objid AS seq, d.refobjid AS tab, d.refobjsubid AS col FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
                    UNION
                    SELECT d.refobjid, ad.adrelid, ad.adnum FROM pg_attrdef ad
                    JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass) u) f
            JOIN pg_class s ON s.oid = f.seq AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_sequence ps ON ps.seqrelid = s.oid
            JOIN pg_class t ON t.oid = f.tab AND t.relkind IN ('r', 'p') JOIN pg_namespace tn ON tn.oid = t.relnamespace
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = f.col
            WHERE tn.nspname NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 3, 4, 5, 1, 2
            """;
        return await ReadAsync(connection, sql, r => new SequenceFeed(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetBoolean(6), r.GetBoolean(7),
            Names(r, 8)), cancellationToken);
    }

    /// <summary>A sequence's <c>last_value</c> (numeric) and <c>is_called</c>.</summary>
    public static string SequenceValueSql(string schema, string name) => $"SELECT last_value::numeric, is_called FROM {Sql.Qualify(schema, name)}";

    private static List<TableName> Names(NpgsqlDataReader reader, int schemas) =>
        [.. reader.GetFieldValue<string[]>(schemas).Zip(reader.GetFieldValue<string[]>(schemas + 1), (s, n) => new TableName(s, n))];

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(read(reader));
        return list;
    }
}
