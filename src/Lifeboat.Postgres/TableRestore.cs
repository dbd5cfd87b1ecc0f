using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>What to do with a restored row whose key already exists in the live table.</summary>
public enum OnConflict
{
    /// <summary>Keep the live row (INSERT ... ON CONFLICT DO NOTHING).</summary>
    Skip,

    /// <summary>Overwrite the live row with the backup's (ON CONFLICT (primary key) DO UPDATE).</summary>
    Update,
}

/// <summary>Restore one table from a capture.</summary>
public sealed record TableRestoreOptions
{
    /// <summary>The table: <c>schema.name</c> or a name unique across schemas (as in the manifest, unquoted).</summary>
    public required string Table { get; init; }

    /// <summary>Restore under another name (side by side with the live table).</summary>
    public string? AsName { get; init; }

    /// <summary>Restore into another schema (created if missing).</summary>
    public string? IntoSchema { get; init; }

    /// <summary>Load into a new table shaped like the live one, then swap names in one transaction; the old table is kept renamed.</summary>
    public bool Swap { get; init; }

    /// <summary>Where pg_restore lives (--pg-bin).</summary>
    public string? PgBinDirectory { get; init; }
}

/// <summary>The outcome of a table restore.</summary>
/// <param name="Destination">The table that now holds the backup's rows (quoted, qualified).</param>
/// <param name="Rows">Rows loaded.</param>
/// <param name="PreviousTableRenamedTo">With swap: the name the live table was renamed to.</param>
public sealed record TableRestoreResult(string Destination, long Rows, string? PreviousTableRenamedTo);

/// <summary>Restore some rows of one table into the live table.</summary>
public sealed record RowRestoreOptions
{
    /// <summary>The table (see <see cref="TableRestoreOptions.Table"/>).</summary>
    public required string Table { get; init; }

    /// <summary>An SQL predicate over the table's columns selecting the rows to restore, e.g. <c>id = 42</c>. Runs with the caller's privileges.</summary>
    public required string Where { get; init; }

    /// <summary>What to do when a row's key exists already.</summary>
    public OnConflict OnConflict { get; init; } = OnConflict.Skip;
}

/// <summary>The outcome of a row restore; <see cref="Changes"/> lists up to 1,000 changed rows by key (JSON).</summary>
public sealed record RowRestoreResult(long Matched, long Inserted, long Updated, long Skipped, IReadOnlyList<RowChange> Changes);

/// <summary>One changed row: <c>inserted</c> or <c>updated</c>, and its primary key (or whole row when there is none) as JSON.</summary>
public sealed record RowChange(string Action, string Key);

public sealed partial class PostgresRestore
{
    /// <summary>
    /// Restores one table: into its own name when it does not exist on the target, side by side
    /// (<see cref="TableRestoreOptions.AsName"/> / <see cref="TableRestoreOptions.IntoSchema"/>), or
    /// swapped in atomically. A side-by-side or swapped copy is created with
    /// <c>CREATE TABLE ... (LIKE live INCLUDING ALL)</c> (columns, defaults, identity, generated
    /// columns, checks, indexes; not foreign keys or triggers) when the live table exists, else from
    /// the backup's schema. After a swap, foreign keys and views that referenced the live table
    /// still reference it under its new name.
    /// </summary>
    public async Task<TableRestoreResult> RestoreTableAsync(IStreamSource source, BackupManifest manifest, PgConnectionInfo target,
        TableRestoreOptions options, CancellationToken cancellationToken)
    {
        var table = FindTable(manifest, options.Table);
        if (options.Swap && (options.AsName is not null || options.IntoSchema is not null))
            throw new InvalidRestoreRequestException("Swap replaces the table under its own name: do not combine it with --as or --into-schema.");
        await using var connection = await PgErrors.OpenAsync(target, cancellationToken);
        var original = table.QualifiedName;
        var originalExists = await ExistsAsync(connection, original, cancellationToken);
        var destSchema = options.IntoSchema ?? table.Schema;
        var destName = options.AsName ?? table.Name;

        // Every mode is one transaction: a restore that fails (damage, a bad row, Ctrl-C, a killed
        // process) leaves no new table behind and never swaps in a partial one.
        if (options.Swap && originalExists)
        {
            var oldName = Truncate(table.Name, "_before_restore");
            if (await ExistsAsync(connection, Sql.Qualify(table.Schema, oldName), cancellationToken))
                throw new TargetNotEmptyException(
                    $"Table {Sql.Qualify(table.Schema, oldName)} exists (kept by an earlier --swap): drop or rename it first, then swap again.");
            var temporary = Sql.Qualify(table.Schema, Truncate(table.Name, "_lifeboat_new"));
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await CatalogReader.ExecuteAsync(connection, $"DROP TABLE IF EXISTS {temporary}; CREATE TABLE {temporary} (LIKE {original} INCLUDING ALL)", cancellationToken);
            var rows = await LoadTableAsync(connection, source, table, temporary, cancellationToken);
            await CatalogReader.ExecuteAsync(connection,
                $"LOCK TABLE {original} IN ACCESS EXCLUSIVE MODE; ALTER TABLE {original} RENAME TO {Sql.Ident(oldName)}; " +
                $"ALTER TABLE {temporary} RENAME TO {Sql.Ident(table.Name)}", cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return new TableRestoreResult(original, rows, Sql.Qualify(table.Schema, oldName));
        }

        var destination = Sql.Qualify(destSchema, destName);
        if (await ExistsAsync(connection, destination, cancellationToken))
            throw new TargetNotEmptyException(
                $"Table {destination} already exists in {target.Redact()}. Restore it side by side with --as NAME or --into-schema SCHEMA, or replace it with --swap.");
        // the table's definition from the backup, as SQL run in this transaction (not by pg_restore on its own connection)
        var definition = destination != original && originalExists
            ? null
            : await TableDefinitionAsync(source, manifest, table, connection.PostgreSqlVersion.Major, options.PgBinDirectory, cancellationToken);
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            if (definition is null)
            {
                await CatalogReader.ExecuteAsync(connection,
                    $"CREATE SCHEMA IF NOT EXISTS {Sql.Ident(destSchema)}; CREATE TABLE {destination} (LIKE {original} INCLUDING ALL)", cancellationToken);
            }
            else
            {
                await ExecuteDefinitionAsync(connection, table, definition, cancellationToken);
                if (destSchema != table.Schema)
                    await CatalogReader.ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS {Sql.Ident(destSchema)}; ALTER TABLE {original} SET SCHEMA {Sql.Ident(destSchema)}", cancellationToken);
                if (destName != table.Name)
                    await CatalogReader.ExecuteAsync(connection, $"ALTER TABLE {Sql.Qualify(destSchema, table.Name)} RENAME TO {Sql.Ident(destName)}", cancellationToken);
            }

            var loaded = await LoadTableAsync(connection, source, table, destination, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return new TableRestoreResult(destination, loaded, null);
        }
    }

    /// <summary>The SQL pg_restore writes for one table's definition (pre-data), without psql meta-commands.</summary>
    private static async Task<string> TableDefinitionAsync(IStreamSource source, BackupManifest manifest, TableEntry table, int serverMajor, string? pgBin, CancellationToken cancellationToken)
    {
        var tools = await PgToolset.FindAsync(serverMajor, pgBin, cancellationToken);
        await using var archive = await SchemaArchive.ExtractAsync(source, manifest, cancellationToken);
        var script = await PgRestoreRunner.OutputAsync(tools,
            ["--section=pre-data", "--file=-", "--schema=" + table.Schema, "--table=" + table.Name, archive.Path], cancellationToken);
        // \restrict / \unrestrict (psql only), and settings this server may not know (newer pg_restore)
        return string.Join('\n', script.Split('\n').Where(line =>
            !line.StartsWith('\\') && !(serverMajor < 17 && line.StartsWith("SET transaction_timeout", StringComparison.Ordinal))));
    }

    private static async Task ExecuteDefinitionAsync(NpgsqlConnection connection, TableEntry table, string definition, CancellationToken cancellationToken)
    {
        try
        {
            await CatalogReader.ExecuteAsync(connection, definition, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(table.QualifiedName, $"Creating table {table.QualifiedName} from the backup's schema failed: {ex.MessageText}", ex);
        }
    }

    /// <summary>
    /// Restores the rows of one table matching a predicate into the live table, in one transaction:
    /// the table's COPY stream goes into a temporary table, matching rows are inserted with
    /// <c>ON CONFLICT DO NOTHING</c> (skip) or <c>ON CONFLICT (primary key) DO UPDATE</c> (update).
    /// </summary>
    public async Task<RowRestoreResult> RestoreRowsAsync(IStreamSource source, BackupManifest manifest, PgConnectionInfo target,
        RowRestoreOptions options, CancellationToken cancellationToken)
    {
        var table = FindTable(manifest, options.Table);
        await using var connection = await PgErrors.OpenAsync(target, cancellationToken);
        var live = table.QualifiedName;
        if (!await ExistsAsync(connection, live, cancellationToken))
            throw new RestoreFailedException(live, $"Table {live} does not exist in {target.Redact()}: restore the whole table first (--table without --where).");
        var key = await PrimaryKeyAsync(connection, live, cancellationToken);
        if (options.OnConflict == OnConflict.Update && key.Count == 0)
            throw new RestoreFailedException(live, $"Table {live} has no primary key, so --on-conflict update cannot tell which row to update: use skip.");

        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await CatalogReader.ExecuteAsync(connection, $"CREATE TEMP TABLE lifeboat_rows (LIKE {live}) ON COMMIT DROP", cancellationToken);
        await LoadTableAsync(connection, source, table, "lifeboat_rows", cancellationToken);
        var predicate = "(" + options.Where + ")";
        long matched;
        try
        {
            matched = await CatalogReader.ScalarAsync<long>(connection, $"SELECT count(*) FROM lifeboat_rows WHERE {predicate}", cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(live, $"The predicate {options.Where} is not valid for {live}: {ex.MessageText}", ex);
        }
        var columns = string.Join(", ", table.Columns.Select(Sql.Ident));
        var alwaysIdentity = await AlwaysIdentityColumnsAsync(connection, live, cancellationToken);
        var updatable = table.Columns.Where(c => !key.Contains(c) && !alwaysIdentity.Contains(c)).ToList();
        var conflict = options.OnConflict == OnConflict.Skip
            ? "ON CONFLICT DO NOTHING"
            : $"ON CONFLICT ({string.Join(", ", key.Select(Sql.Ident))}) DO UPDATE SET " +
              string.Join(", ", updatable.Select(c => $"{Sql.Ident(c)} = EXCLUDED.{Sql.Ident(c)}").DefaultIfEmpty($"{Sql.Ident(key[0])} = EXCLUDED.{Sql.Ident(key[0])}"));
        var keyJson = key.Count > 0
            ? "json_build_object(" + string.Join(", ", key.Select(k => $"{Sql.Literal(k)}, t.{Sql.Ident(k)}")) + ")::text"
            : "row_to_json(t)::text";
        var sql = $"""
            INSERT INTO {live} AS t ({columns}) OVERRIDING SYSTEM VALUE
            SELECT {columns} FROM lifeboat_rows WHERE {predicate}
            {conflict}
            RETURNING (t.xmax = 0), {keyJson}
            """;
        long inserted = 0, updated = 0;
        var changes = new List<RowChange>();
        try
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var isInsert = reader.GetBoolean(0);
                if (isInsert)
                    inserted++;
                else
                    updated++;
                if (changes.Count < 1000)
                    changes.Add(new RowChange(isInsert ? "inserted" : "updated", reader.GetString(1)));
            }
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(live, $"Restoring rows of {live} failed: {ex.MessageText}{(ex.Detail is null ? "" : " (" + ex.Detail + ")")}", ex);
        }
        await tx.CommitAsync(cancellationToken);
        return new RowRestoreResult(matched, inserted, updated, matched - inserted - updated, changes);
    }

    internal static TableEntry FindTable(BackupManifest manifest, string name)
    {
        var matches = manifest.Tables.Where(t => $"{t.Schema}.{t.Name}" == name).ToList();
        if (matches.Count == 0)
            matches = manifest.Tables.Where(t => t.Name == name).ToList();
        if (matches.Count > 1)
            throw new InvalidRestoreRequestException($"Table name \"{name}\" is ambiguous: qualify it ({string.Join(", ", matches.Select(m => m.Schema + "." + m.Name))}).");
        var table = matches.SingleOrDefault()
            ?? throw new TableNotInBackupException($"The backup has no table \"{name}\". Use schema.name as listed in the snapshot's manifest.");
        if (table.Stream is null)
            throw new InvalidRestoreRequestException($"The backup holds no rows of {table.QualifiedName} ({(table.DataExcluded ? "its data was excluded" : "it is a partitioned parent: restore its partitions")}).");
        return table;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string qualified, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_catalog.to_regclass($1) IS NOT NULL", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<HashSet<string>> AlwaysIdentityColumnsAsync(NpgsqlConnection connection, string qualified, CancellationToken cancellationToken)
    {
        // GENERATED ALWAYS identity columns can be inserted (OVERRIDING SYSTEM VALUE) but never updated
        await using var command = new NpgsqlCommand(
            "SELECT attname::text FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attidentity = 'a' AND NOT attisdropped", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
        var result = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(reader.GetString(0));
        return result;
    }

    private static async Task<List<string>> PrimaryKeyAsync(NpgsqlConnection connection, string qualified, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.attname::text FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = $1::regclass AND i.indisprimary
            ORDER BY array_position(i.indkey::int2[], a.attnum)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
        var key = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            key.Add(reader.GetString(0));
        return key;
    }

    /// <summary>name + suffix, shortened to PostgreSQL's 63-byte identifier limit.</summary>
    private static string Truncate(string name, string suffix)
    {
        var max = 63 - System.Text.Encoding.UTF8.GetByteCount(suffix);
        while (System.Text.Encoding.UTF8.GetByteCount(name) > max)
            name = name[..^1];
        return name + suffix;
    }
}
