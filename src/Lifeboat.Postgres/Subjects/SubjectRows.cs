using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Npgsql;

namespace Lifeboat.Postgres.Subjects;

/// <summary>
/// A subject found in a snapshot, held in a scratch database: the snapshot's pre-data is restored there (no
/// constraints, indexes or triggers), then only the streams of the tables its links reach are loaded, the root
/// rows are those of the WHERE, and every link is followed (as a join) until no table gains a row: a visited
/// set per table (its rows by table oid and ctid), so cycles and self-references end. Read the rows with
/// <see cref="JsonRowsAsync"/>, <see cref="InsertStatementsAsync"/> or <see cref="CopyCsvAsync"/>.
/// </summary>
public sealed partial class SubjectRows : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly Dictionary<string, string> _sets;
    private readonly SubjectGraph _graph;

    private SubjectRows(NpgsqlConnection connection, Dictionary<string, string> sets, SubjectGraph graph, IReadOnlyList<SubjectTable> tables, IReadOnlyList<string> notes)
    {
        _connection = connection;
        _sets = sets;
        _graph = graph;
        Tables = tables;
        Notes = notes;
    }

    /// <summary>The root table, <c>schema.name</c>.</summary>
    public string Root => _graph.Reached[0].Table;

    /// <summary>Checks that the snapshot holds rows of the root table (before anything is loaded).</summary>
    /// <exception cref="TableNotInBackupException">It does not hold that table.</exception>
    /// <exception cref="InvalidRestoreRequestException">The name is ambiguous, or the table's rows were not captured.</exception>
    public static void RequireRoot(BackupManifest manifest, string root) => PostgresRestore.FindTable(manifest, root);

    /// <summary>Every table reached, in foreign-key order (parents first), with the subject's rows in it (0 when none).</summary>
    public IReadOnlyList<SubjectTable> Tables { get; }

    /// <summary>What the reader should know: links to tables the snapshot holds no rows of, a two-way key that is no foreign key.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Finds the subject of <paramref name="query"/> in the snapshot of <paramref name="manifest"/>, using the empty database <paramref name="scratch"/>.</summary>
    /// <exception cref="TableNotInBackupException">The root table is not in the snapshot.</exception>
    /// <exception cref="InvalidSubjectQueryException">The WHERE is not valid for the root table.</exception>
    /// <exception cref="SubjectNotFoundException">No root row matches.</exception>
    public static async Task<SubjectRows> FindAsync(IStreamSource source, BackupManifest manifest, PgConnectionInfo scratch, SubjectQuery query, CancellationToken cancellationToken)
    {
        var root = PostgresRestore.FindTable(manifest, query.Root);
        var connection = await PgErrors.OpenAsync(scratch, cancellationToken);
        try
        {
            var foreignKeys = await RestoreSchemaAsync(source, manifest, scratch, connection.PostgreSqlVersion.Major, query.PgBinDirectory, cancellationToken);
            var notes = new List<string>();
            var graph = SubjectGraph.Walk($"{root.Schema}.{root.Name}", foreignKeys, query, notes);
            var found = await new Search(connection, source, manifest, graph, notes).RunAsync(root, query.Where, cancellationToken);
            return new SubjectRows(connection, found.Sets, graph, found.Tables, notes);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Restores the archive's pre-data into the scratch database, and reads its foreign keys.</summary>
    private static async Task<List<SubjectLink>> RestoreSchemaAsync(IStreamSource source, BackupManifest manifest, PgConnectionInfo scratch, int serverMajor,
        string? pgBin, CancellationToken cancellationToken)
    {
        var tools = await PgToolset.FindAsync(Math.Max(manifest.ServerVersionNum / 10000, serverMajor), pgBin, cancellationToken);
        await using var archive = await SchemaArchive.ExtractAsync(source, manifest, cancellationToken);
        var platform = manifest.Options.Profile == SupabaseProfile.Name;
        await PgRestoreRunner.RunIntoDatabaseAsync(tools, scratch, archive, "pre-data", 1, noOwner: true, noPrivileges: true, [], cancellationToken, skipExtensions: platform);
        var toc = await PgRestoreRunner.ListAsync(tools, archive, cancellationToken);
        var foreignKeyEntries = toc.Where(line => ForeignKeyEntry().IsMatch(line)).ToList();
        if (foreignKeyEntries.Count == 0)
            return [];
        var list = archive.Path + ".fk.list";
        await File.WriteAllLinesAsync(list, foreignKeyEntries, cancellationToken);
        var script = await PgRestoreRunner.OutputAsync(tools, ["--use-list=" + list, "--file=-", archive.Path], cancellationToken);
        return ForeignKeyScript.Parse(script);
    }

    [GeneratedRegex(@"^\d+; \d+ \d+ FK CONSTRAINT ")]
    private static partial Regex ForeignKeyEntry();

    /// <summary>The subject's rows of <paramref name="table"/> as JSON objects (column names as keys), bytea as base64, in the snapshot's order.</summary>
    public async IAsyncEnumerable<string> JsonRowsAsync(SubjectTable table, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var binary = await ByteaColumnsAsync(table, cancellationToken);
        var values = string.Join(", ", table.Columns.Select(c => binary.Contains(c)
            ? $"translate(pg_catalog.encode(r.{Sql.Ident(c)}, 'base64'), E'\\n', '') AS {Sql.Ident(c)}"
            : $"r.{Sql.Ident(c)} AS {Sql.Ident(c)}"));
        await using var command = new NpgsqlCommand(
            $"SELECT (SELECT row_to_json(x) FROM (SELECT {values}) x)::text FROM {Rows(table)} ORDER BY r.tableoid, r.ctid", _connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return reader.GetString(0);
    }

    /// <summary>
    /// One <c>INSERT ... OVERRIDING SYSTEM VALUE VALUES (...);</c> per row of the subject in <paramref name="table"/>
    /// (values as literals of their text form); rows a self-referencing foreign key makes depend on other rows of the
    /// table come after them.
    /// </summary>
    public async Task<IReadOnlyList<string>> InsertStatementsAsync(SubjectTable table, CancellationToken cancellationToken)
    {
        if (table.Columns.Count == 0)
            return [];
        var prefix = $"INSERT INTO {Qualified(table.Table)}{Sql.ColumnList(table.Columns)} OVERRIDING SYSTEM VALUE VALUES (";
        var statement = Sql.Literal(prefix) + " || " + string.Join(" || ', ' || ", table.Columns.Select(c => $"pg_catalog.quote_nullable(r.{Sql.Ident(c)})")) + " || ');'";
        var selfKeys = _graph.Links.Where(l => !l.Declared && l.Referencing.Table == table.Table && l.Referenced.Table == table.Table).ToList();
        var keyColumns = selfKeys.SelectMany(l => new[] { Tuple(l.Referenced.Columns), Tuple(l.Referencing.Columns) });
        var rows = new List<(string Statement, string[] Keys)>();
        await using (var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", keyColumns.Prepend(statement))} FROM {Rows(table)} ORDER BY r.tableoid, r.ctid", _connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((reader.GetString(0), Enumerable.Range(1, selfKeys.Count * 2).Select(i => reader.IsDBNull(i) ? "" : reader.GetString(i)).ToArray()));
        }
        return selfKeys.Count == 0 ? rows.Select(r => r.Statement).ToList() : ParentsFirst(rows, selfKeys.Count);
    }

    /// <summary>The subject's rows of <paramref name="table"/> as CSV with a header line (COPY's CSV format), written to <paramref name="output"/> in UTF-8.</summary>
    public async Task CopyCsvAsync(SubjectTable table, Stream output, CancellationToken cancellationToken)
    {
        var columns = table.Columns.Count == 0 ? "" : string.Join(", ", table.Columns.Select(c => "r." + Sql.Ident(c)));
        using var copy = await _connection.BeginTextExportAsync(
            $"COPY (SELECT {columns} FROM {Rows(table)} ORDER BY r.tableoid, r.ctid) TO STDOUT (FORMAT csv, HEADER)", cancellationToken);
        await using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        var buffer = new char[32 * 1024];
        int n;
        while ((n = await copy.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
            await writer.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>Orders rows so that each comes after the rows (of the same table) it references; a cycle in order read.</summary>
    private static List<string> ParentsFirst(List<(string Statement, string[] Keys)> rows, int selfKeys)
    {
        var byKey = new Dictionary<(int, string), int>();
        for (var i = 0; i < rows.Count; i++)
        {
            for (var k = 0; k < selfKeys; k++)
                byKey.TryAdd((k, rows[i].Keys[2 * k]), i);
        }
        var state = new int[rows.Count]; // 0 new, 1 visiting, 2 written
        var ordered = new List<string>(rows.Count);
        var stack = new Stack<(int Row, int Key)>();
        for (var start = 0; start < rows.Count; start++)
        {
            if (state[start] != 0)
                continue;
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.Count > 0)
            {
                var (row, key) = stack.Pop();
                if (key == selfKeys)
                {
                    state[row] = 2;
                    ordered.Add(rows[row].Statement);
                    continue;
                }
                stack.Push((row, key + 1));
                if (byKey.TryGetValue((key, rows[row].Keys[2 * key + 1]), out var parent) && state[parent] == 0)
                {
                    state[parent] = 1;
                    stack.Push((parent, 0));
                }
            }
        }
        return ordered;
    }

    private async Task<HashSet<string>> ByteaColumnsAsync(SubjectTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.attname::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND (t.oid = 'pg_catalog.bytea'::pg_catalog.regtype OR t.typbasetype = 'pg_catalog.bytea'::pg_catalog.regtype)
            """, _connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Qualified(table.Table) });
        var result = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(reader.GetString(0));
        return result;
    }

    /// <summary><c>"schema"."table" r WHERE (r.tableoid, r.ctid) IN (the subject's rows)</c>.</summary>
    private string Rows(SubjectTable table) => $"{Qualified(table.Table)} r WHERE (r.tableoid, r.ctid) IN (SELECT o, t FROM {_sets[table.Table]})";

    private static string Tuple(IReadOnlyList<string> columns) => "ROW(" + string.Join(", ", columns.Select(c => "r." + Sql.Ident(c))) + ")::text";

    /// <summary><c>schema.name</c> (as the manifest names it) quoted.</summary>
    internal static string Qualified(string table)
    {
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        return Sql.Qualify(table[..dot], table[(dot + 1)..]);
    }

    internal static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
