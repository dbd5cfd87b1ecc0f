using Npgsql;

namespace Lifeboat.Postgres.Subjects;

public sealed partial class SubjectRows
{
    /// <summary>
    /// Inserts the subject's rows into the live database <paramref name="target"/>, tables in foreign-key order
    /// (parents first), all in one transaction. Each table's rows are first copied (COPY, text form) into a
    /// temporary table shaped like the target's; each row is then matched to the live table by the target's
    /// primary key (by every column when it has none): absent rows are inserted; a row present with the same
    /// values is left (unchanged); one present with other values is a conflict, kept (skip), overwritten
    /// (update) or refused (fail: the transaction is rolled back). A dry run does all of it and rolls back.
    /// </summary>
    /// <exception cref="SubjectTargetMismatchException">The target lacks a table or column the rows need (checked before anything is written).</exception>
    /// <exception cref="SubjectConflictException">A conflict with <see cref="SubjectConflict.Fail"/>, or a row that breaks another unique key of the target.</exception>
    /// <exception cref="RestoreFailedException">A row breaks a foreign key or another constraint of the target.</exception>
    public async Task<SubjectRestoreReport> RestoreAsync(PgConnectionInfo target, SubjectConflict onConflict, bool dryRun, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(target, cancellationToken);
        var shapes = new List<(SubjectTable Table, TargetShape Shape)>();
        foreach (var table in Tables.Where(t => t.Rows > 0))
            shapes.Add((table, await TargetShape.ReadAsync(connection, table, cancellationToken)));

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var restored = new List<SubjectTableRestored>();
        var changes = new List<SubjectChange>();
        for (var i = 0; i < shapes.Count; i++)
        {
            var (table, shape) = shapes[i];
            var incoming = "lifeboat_incoming_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await StageAsync(connection, table, shape, incoming, cancellationToken);
            var plan = new TablePlan(connection, table.Table, shape, incoming);
            await plan.ClassifyAsync(cancellationToken);
            if (onConflict == SubjectConflict.Fail && await plan.FirstConflictAsync(cancellationToken) is { } key)
            {
                throw new SubjectConflictException(table.Table, key,
                    $"{table.Table} already holds the row {key} with other values than the snapshot's: nothing was restored. " +
                    "Use --on-conflict skip to keep the live rows, or --on-conflict update to overwrite them with the snapshot's");
            }
            if (dryRun)
                changes.AddRange(await plan.ChangesAsync(onConflict, cancellationToken));
            restored.Add(await plan.ApplyAsync(onConflict, cancellationToken));
        }

        if (dryRun)
        {
            await transaction.RollbackAsync(cancellationToken);
        }
        else
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return new SubjectRestoreReport(restored, changes, Committed: !dryRun);
    }

    /// <summary>Copies the subject's rows of <paramref name="table"/> from the scratch database into a temporary table of the target shaped like the live one.</summary>
    private async Task StageAsync(NpgsqlConnection target, SubjectTable table, TargetShape shape, string incoming, CancellationToken cancellationToken)
    {
        var columns = Sql.ColumnList(shape.Columns);
        await CatalogReader.ExecuteAsync(target,
            $"CREATE TEMP TABLE {incoming} ON COMMIT DROP AS SELECT {string.Join(", ", shape.Columns.Select(Sql.Ident))} FROM {Qualified(table.Table)} WITH NO DATA", cancellationToken);
        await CatalogReader.ExecuteAsync(target, $"ALTER TABLE {incoming} ADD COLUMN lifeboat_action text NOT NULL DEFAULT 'insert'", cancellationToken);
        var selected = string.Join(", ", shape.Columns.Select(c => "r." + Sql.Ident(c)));
        using var reader = await _connection.BeginTextExportAsync(
            $"COPY (SELECT {selected} FROM {Rows(table)} ORDER BY r.tableoid, r.ctid) TO STDOUT", cancellationToken);
        try
        {
            await using var writer = await target.BeginTextImportAsync($"COPY {incoming} {columns} FROM STDIN", cancellationToken);
            var buffer = new char[32 * 1024];
            int n;
            while ((n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
                await writer.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(table.Table,
                $"the subject's rows of {table.Table} do not fit the target's table: {ex.MessageText} (the target's column types differ from the snapshot's)", ex);
        }
    }

    /// <summary>The live table's columns that the subject's rows fill, and its primary key.</summary>
    private sealed record TargetShape(string Qualified, IReadOnlyList<string> Columns, IReadOnlyList<string> Key)
    {
        public static async Task<TargetShape> ReadAsync(NpgsqlConnection connection, SubjectTable table, CancellationToken cancellationToken)
        {
            var qualified = SubjectRows.Qualified(table.Table);
            await using var command = new NpgsqlCommand("""
                SELECT a.attname::text, a.attgenerated <> '', EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                         WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey))
                FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            var live = new List<(string Name, bool Generated, bool Key)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    live.Add((reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
            }
            if (live.Count == 0)
            {
                throw new SubjectTargetMismatchException(
                    $"the target database has no table {table.Table}, which holds {Count(table.Rows)} of the subject's rows: nothing was restored. " +
                    "Create it (restore the schema, or run the application's migrations) first");
            }
            var missing = table.Columns.Where(c => !live.Any(l => l.Name == c)).ToList();
            if (missing.Count > 0)
            {
                throw new SubjectTargetMismatchException(
                    $"the target's table {table.Table} has no column {string.Join(", ", missing)}, which the subject's rows hold: nothing was restored. " +
                    "Add the column (or migrate the target to the snapshot's schema) first");
            }
            var columns = table.Columns.Where(c => !live.Single(l => l.Name == c).Generated).ToList();
            var key = live.Where(l => l.Key).Select(l => l.Name).ToList();
            return new TargetShape(qualified, columns, key.All(columns.Contains) ? key : []);
        }
    }
}
