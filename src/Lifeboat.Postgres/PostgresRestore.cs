using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// Restores a capture into an empty database: pre-data (pg_restore, one transaction) → parallel
/// COPY FROM, largest table first, each table analyzed right after its load → sequences (setval) →
/// large objects → indexes, every one of a table at once, primary keys and unique constraints among
/// them (see IndexBuildPlan) → the rest of post-data (pg_restore -j: constraints, triggers,
/// policies, matview refresh, in dependency order) → ANALYZE of what needs post-data (see RestoreStatistics.cs).
/// Every stream is checked against its SHA-256 in the manifest before its COPY completes.
/// </summary>
public sealed partial class PostgresRestore
{
    /// <summary>What the restore has done to its target so far (read after a failure to say what is left).</summary>
    public RestoreLedger Ledger { get; } = new();

    /// <summary>Restores everything in <paramref name="manifest"/> into <paramref name="target"/>.</summary>
    /// <param name="early">A connection to <paramref name="target"/> opened ahead of time, taken here (else one is opened).</param>
    /// <returns>With <see cref="RestoreOptions.Globals"/>: what applying the roles and tablespaces did; else null.</returns>
    public async Task<GlobalsOutcome?> RestoreAsync(IStreamSource source, BackupManifest manifest, PgConnectionInfo target, RestoreOptions options, CancellationToken cancellationToken, EarlyConnection? early = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Jobs, 1);
        var session = await PrepareTargetAsync(source, manifest, target, options, early, cancellationToken);

        // The loads' connections open while pre-data runs: as many as there are tables to load, up to --jobs
        // (a big table cut into parts may need more; those open when the loads start).
        var tables = manifest.Tables.Where(t => t.Stream is not null && !t.DataOnly).ToList();
        var workers = new WorkerConnections(target);
        workers.OpenAhead(Math.Min(options.Jobs, tables.Count), cancellationToken);

        await using (session)
        await using (workers)
        {
            GlobalsOutcome? globalsApplied = null;
            if (options.Globals)
            {
                var globals = manifest.RequireGlobals();
                Ledger.Enter("roles and tablespaces", changesTarget: false);
                globalsApplied = await GlobalsRestore.ApplyAsync(session.Connection, source, globals, session.Where, cancellationToken);
                Ledger.GlobalsApplied = true;
            }
            var plan = await RestoreDataAsync(session, source, manifest, tables, workers, options, cancellationToken);
            await RestorePostDataAsync(session, workers, plan, options, cancellationToken);
            Ledger.Enter("done");
            return globalsApplied;
        }
    }

    /// <summary>The target's connection, the pg_restore to use and the verified schema archive, for one restore.</summary>
    private sealed record TargetSession(NpgsqlConnection Connection, PgConnectionInfo Target, string Where, PgToolset Tools, SchemaArchive Archive, bool Platform) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Archive.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Opens (or takes) the target's connection and checks the target while pg_restore is found and the schema
    /// archive extracted and verified; cleans the target (--clean) once all of that succeeded.
    /// </summary>
    private async Task<TargetSession> PrepareTargetAsync(IStreamSource source, BackupManifest manifest, PgConnectionInfo target, RestoreOptions options, EarlyConnection? early, CancellationToken cancellationToken)
    {
        var where = target.Redact();
        var opened = early is not null ? await early.TakeAsync() : null;
        var connection = opened?.Connection ?? await PgErrors.OpenAsync(target, cancellationToken);
        // Finding pg_restore (a few `pg_dump --version` runs) and extracting the verified schema
        // archive touch nothing on the target: they run while the target is checked.
        Task<PgToolset>? toolsForBackup = null;
        Task<SchemaArchive>? extracting = null;
        var platform = manifest.Options.Profile == SupabaseProfile.Name;
        try
        {
            var backupMajor = manifest.ServerVersionNum / 10000;
            toolsForBackup = PgToolset.FindAsync(backupMajor, options.PgBinDirectory, cancellationToken);
            extracting = SchemaArchive.ExtractAsync(source, manifest, cancellationToken);
            var mustClean = await CheckTargetAsync(connection, manifest, options, platform, where, opened?.UserObjects, cancellationToken);
            var serverMajor = connection.PostgreSqlVersion.Major;
            var tools = serverMajor > backupMajor
                ? await PgToolset.FindAsync(serverMajor, options.PgBinDirectory, cancellationToken)
                : await toolsForBackup;
            var archive = await extracting;
            // --clean drops what the target holds only once the restore can go ahead: pg_restore found, schema verified
            if (mustClean)
            {
                Ledger.Enter("cleaning the target");
                await TargetDatabase.CleanAsync(connection, platform, cancellationToken);
            }
            return new TargetSession(connection, target, where, tools, archive, platform);
        }
        catch
        {
            await connection.DisposeAsync();
            if (toolsForBackup is not null)
                await ObserveAsync(toolsForBackup);
            if (extracting is not null)
                await DisposeWhenDoneAsync(extracting);
            throw;
        }
    }

    /// <summary>
    /// Pre-data (one pg_restore transaction), then the rows: platform tables first, in order, then every other
    /// table on up to --jobs connections; then sequences and large objects. Returns the index plan made meanwhile.
    /// </summary>
    private async Task<IndexBuilds> RestoreDataAsync(TargetSession session, IStreamSource source, BackupManifest manifest, List<TableEntry> tables,
        WorkerConnections workers, RestoreOptions options, CancellationToken cancellationToken)
    {
        // Planning reads only the repository and the archive: the load plan (where the big tables are
        // cut: a chunk read per cut) is made while pre-data runs, the index plan (two pg_restore runs
        // over the archive) while the data loads.
        var planningLoads = Task.Run(() => TableLoadPlan.CreateAsync(source, tables, options.Jobs, options.MinimumPartBytes, cancellationToken), cancellationToken);
        Task<IndexBuilds> planning = Task.FromResult(IndexBuilds.None);
        try
        {
            Ledger.Enter("pre-data");
            await PgRestoreRunner.RunIntoDatabaseAsync(session.Tools, session.Target, session.Archive, "pre-data", 1, options.NoOwner, options.NoPrivileges, [], cancellationToken, skipExtensions: session.Platform);

            Ledger.Enter("table data");
            if (options.Jobs > 1)
                planning = IndexBuildPlan.CreateAsync(session.Tools, session.Archive, manifest, cancellationToken);
            // Rows of platform tables (which the target has, with their own foreign keys) go first, in order.
            foreach (var platformTable in manifest.DataOnlyTablesInLoadOrder())
            {
                await LoadTableAsync(session.Connection, source, platformTable, platformTable.QualifiedName, cancellationToken);
                Ledger.PartLoaded(platformTable);
                if (options.Analyze)
                    await AnalyzeAsync(session.Connection, platformTable.QualifiedName, cancellationToken);
            }
            await LoadTablesAsync(workers, await planningLoads, options, cancellationToken);

            Ledger.Enter("sequences");
            await SetSequencesAsync(session.Connection, manifest.Sequences, cancellationToken);

            Ledger.Enter("large objects");
            foreach (var lo in manifest.LargeObjects)
                await LoadLargeObjectAsync(session.Connection, source, lo, cancellationToken);
        }
        catch
        {
            // the plans read the archive and the repository, which are closed once this fails
            await ObserveAsync(planning);
            await ObserveAsync(planningLoads);
            throw;
        }
        return await planning;
    }

    /// <summary>
    /// Largest first; a table big enough to hold the others up is loaded in parts, at once, on
    /// several connections (see TableLoadPlan). Each table is analyzed by the worker that loaded
    /// its last part, while the other workers still load.
    /// </summary>
    private async Task LoadTablesAsync(WorkerConnections workers, IReadOnlyList<TableLoad> loads, RestoreOptions options, CancellationToken cancellationToken)
    {
        foreach (var planned in loads.GroupBy(l => l.Table))
            Ledger.Planned(planned.Key, planned.Count());
        await RunParallelAsync(workers, loads, options.Jobs, async (conn, load, ct) =>
        {
            var rows = await LoadPartAsync(conn, load.Part, load.Table, load.Table.QualifiedName, ct);
            Ledger.PartLoaded(load.Table);
            if (load.Finish() && options.Analyze)
                await AnalyzeAsync(conn, load.Table.QualifiedName, ct);
            return rows;
        }, cancellationToken);
    }

    /// <summary>
    /// With several jobs the indexes (and the constraints built on one) go first, all of a table's
    /// at once (see IndexBuildPlan); pg_restore restores the rest of post-data. With one job
    /// pg_restore does all of it in a single transaction. Then ANALYZE of what needs post-data.
    /// </summary>
    private async Task RestorePostDataAsync(TargetSession session, WorkerConnections workers, IndexBuilds plan, RestoreOptions options, CancellationToken cancellationToken)
    {
        var builds = plan.Builds;
        if (builds.Count > 0)
        {
            Ledger.Enter("indexes");
            await BuildIndexesAsync(session.Connection, workers, builds, options.Jobs, cancellationToken);
        }

        // (when the builds were all of post-data, as with only primary keys, there is nothing left for it)
        if (plan.LeavesEntries)
        {
            Ledger.Enter("post-data");
            await PgRestoreRunner.RunIntoDatabaseAsync(session.Tools, session.Target, session.Archive, "post-data", options.Jobs, options.NoOwner, options.NoPrivileges, [], cancellationToken,
                skipExtensions: session.Platform, excludedEntries: builds.Select(b => b.EntryId).ToList(), toc: plan.PostDataToc);
        }

        if (options.Analyze)
        {
            Ledger.Enter("analyze");
            await AnalyzeAfterPostDataAsync(session.Connection, cancellationToken);
        }
    }

    /// <summary>
    /// After a failed restore into an existing database that was empty (or cleaned): drops every
    /// user schema, extension and large object again, leaving it empty. With a platform profile the
    /// platform's schemas stay, and so do rows loaded into its tables (see <see cref="RestoreLedger.LoadedIntoExistingTables"/>).
    /// </summary>
    public static async Task EmptyAfterFailureAsync(PgConnectionInfo target, bool platform, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await PgErrors.OpenAsync(target, cancellationToken);
            await TargetDatabase.CleanAsync(connection, platform, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            throw new RestoreFailedException(target.Database, e.Message, e);
        }
    }

    /// <summary>
    /// Builds <paramref name="builds"/> on up to <paramref name="jobs"/> connections, then turns the
    /// unique indexes of constraints into those constraints, in one transaction.
    /// </summary>
    private static async Task BuildIndexesAsync(NpgsqlConnection connection, WorkerConnections workers, IReadOnlyList<IndexBuild> builds, int jobs, CancellationToken cancellationToken)
    {
        // the settings pg_restore gives its sessions: pg_dump's statements qualify every name
        const string session = "SELECT pg_catalog.set_config('search_path', '', false); SET client_min_messages = warning; " +
            "SET statement_timeout = 0; SET lock_timeout = 0; SET check_function_bodies = false; ";
        await RunParallelAsync(workers, builds, jobs, async (conn, build, ct) =>
        {
            await ExecuteBuildAsync(conn, build.Object, session + build.Sql, ct);
            return 0;
        }, cancellationToken);
        var attach = builds.Where(b => b.Attach is not null).ToList();
        if (attach.Count > 0)
            await ExecuteBuildAsync(connection, string.Join(", ", attach.Select(b => b.Object)), session + "BEGIN; " + string.Join(" ", attach.Select(b => b.Attach)) + " COMMIT;", cancellationToken);
    }

    private static async Task ExecuteBuildAsync(NpgsqlConnection connection, string objectName, string sql, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(objectName, $"Building {objectName} failed: {ex.MessageText}", ex);
        }
    }

    /// <summary>
    /// Refuses a target that is not empty, unless <see cref="RestoreOptions.Clean"/> (then returns true: the
    /// caller cleans it), and checks that the platform tables whose rows the snapshot keeps exist.
    /// </summary>
    /// <param name="checkedEarly">What the early connection found (all schemas), used when the platform's schemas do not count.</param>
    private static async Task<bool> CheckTargetAsync(NpgsqlConnection connection, BackupManifest manifest, RestoreOptions options, bool platform, string where, IReadOnlyList<string>? checkedEarly, CancellationToken cancellationToken)
    {
        foreach (var platformTable in manifest.DataOnlyTablesInLoadOrder())
            await EnsureTableExistsAsync(connection, platformTable, where, cancellationToken);
        var existing = checkedEarly is not null && !platform ? checkedEarly : await TargetDatabase.ListUserObjectsAsync(connection, platform, cancellationToken);
        if (existing.Count > 0 && !options.Clean)
            throw new TargetNotEmptyException(
                $"The target database {where} is not empty (it has {string.Join(", ", existing)}). Restore into a new or empty " +
                "database (--create), or pass --clean to drop its schemas, extensions and large objects first.");
        return existing.Count > 0;
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // the restore fails for another reason, reported by the caller
        }
    }

    private static async Task DisposeWhenDoneAsync(Task<SchemaArchive> extracting)
    {
        try
        {
            await (await extracting).DisposeAsync();
        }
        catch (Exception)
        {
            // nothing was extracted (or it failed itself): nothing to delete
        }
    }

    private static async Task EnsureTableExistsAsync(NpgsqlConnection connection, TableEntry table, string where, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_catalog.to_regclass($1) IS NOT NULL", connection);
        command.Parameters.AddWithValue(table.QualifiedName);
        if (await command.ExecuteScalarAsync(cancellationToken) is not true)
            throw new RestoreFailedException(table.QualifiedName,
                $"{table.QualifiedName} does not exist in {where}: this snapshot was taken with --profile {SupabaseProfile.Name}, which keeps the rows of the " +
                "platform's tables but not their definitions. Restore it into a Supabase project (which has them), or take a backup without the profile.");
    }

    /// <summary>
    /// Loads one table's COPY stream into <paramref name="destination"/> (a quoted, qualified
    /// name) with <c>COPY ... FROM STDIN</c>, checking size and SHA-256 before the COPY completes:
    /// a damaged stream loads nothing. Returns the rows loaded.
    /// </summary>
    internal async Task<long> LoadTableAsync(NpgsqlConnection connection, IStreamSource source, TableEntry table, string destination, CancellationToken cancellationToken) =>
        await LoadPartAsync(connection, new WholeStreamPart(source, table.Stream!, table.Bytes, table.Sha256 ?? ""), table, destination, cancellationToken);

    /// <summary>
    /// Loads one part of a table's COPY stream (the whole stream, or a range of whole rows of it)
    /// into <paramref name="destination"/>; the COPY completes only once the part's bytes verified.
    /// Returns the rows loaded.
    /// </summary>
    private async Task<long> LoadPartAsync(NpgsqlConnection connection, IStreamPart part, TableEntry table, string destination, CancellationToken cancellationToken)
    {
        NpgsqlCopyTextWriter writer;
        try
        {
            writer = await connection.BeginTextImportAsync($"COPY {destination}{Sql.ColumnList(table.Columns)} FROM STDIN", cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(destination, $"Loading table {destination} failed: {ex.MessageText}", ex);
        }
        var completed = false;
        // NpgsqlCopyTextWriter is a StreamWriter over the raw COPY stream: the stored bytes go there unchanged
        var rows = new RowCountingStream(writer.BaseStream);
        try
        {
            try
            {
                await part.CopyToAsync(rows, cancellationToken);
            }
            catch (BackupIntegrityException ex)
            {
                throw new BackupIntegrityException($"{table.QualifiedName}: {ex.Message}", ex);
            }
            completed = true;
            await writer.DisposeAsync();
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(destination, $"Loading table {destination} failed: {ex.MessageText}{(ex.Where is null ? "" : " (" + ex.Where + ")")}", ex);
        }
        catch (NpgsqlException ex) when (ex.InnerException is BackupIntegrityException damaged)
        {
            throw new BackupIntegrityException($"{table.QualifiedName}: {damaged.Message}", damaged);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RestoreFailedException(destination,
                $"Loading table {destination} failed: the connection to the server broke ({ex.InnerException?.Message ?? ex.Message})", ex);
        }
        finally
        {
            if (!completed)
            {
                try
                {
                    await writer.CancelAsync();
                    writer.Dispose();
                }
                catch (Exception)
                {
                    // the import is abandoned either way (the writer is closed once cancelled)
                }
            }
        }
        return rows.Newlines;
    }

    private static async Task SetSequencesAsync(NpgsqlConnection connection, IReadOnlyList<SequenceEntry> sequences, CancellationToken cancellationToken)
    {
        foreach (var s in sequences)
        {
            var name = Sql.Qualify(s.Schema, s.Name);
            await using var command = new NpgsqlCommand("SELECT pg_catalog.setval($1::regclass, $2, $3)", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.LastValue });
            command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = s.IsCalled });
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex)
            {
                throw new RestoreFailedException(name, $"Setting sequence {name} to {s.LastValue.ToString(CultureInfo.InvariantCulture)} failed: {ex.MessageText}", ex);
            }
        }
    }

    private static async Task LoadLargeObjectAsync(NpgsqlConnection connection, IStreamSource source, LargeObjectEntry lo, CancellationToken cancellationToken)
    {
        var name = "large object " + lo.Oid.ToString(CultureInfo.InvariantCulture);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var create = new NpgsqlCommand(
                "SELECT pg_catalog.lo_create($1) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata WHERE oid = $1)", connection, tx))
            {
                create.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = lo.Oid, DataTypeName = "oid" });
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var input = await source.OpenStreamAsync(lo.Stream, cancellationToken);
            await using var hashing = new HashingReadStream(input);
            var buffer = new byte[1024 * 1024];
            long offset = 0;
            int n;
            while ((n = await ReadFullAsync(hashing, buffer, cancellationToken)) > 0)
            {
                await using var put = new NpgsqlCommand("SELECT pg_catalog.lo_put($1, $2, $3)", connection, tx);
                put.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = lo.Oid, DataTypeName = "oid" });
                put.Parameters.Add(new NpgsqlParameter<long> { TypedValue = offset });
                put.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = buffer.AsMemory(0, n), DataTypeName = "bytea" });
                await put.ExecuteNonQueryAsync(cancellationToken);
                offset += n;
            }
            if (hashing.BytesRead != lo.Bytes || hashing.Sha256Hex() != lo.Sha256)
                throw new BackupIntegrityException($"The stream of {name} ({lo.Stream}) does not match the manifest: the backup is damaged.");
            await tx.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(name, $"Restoring {name} failed: {ex.MessageText}", ex);
        }
    }

    internal static async Task<int> ReadFullAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
            total += n;
        return total;
    }

    /// <summary>
    /// Runs <paramref name="action"/> for every item on up to <paramref name="jobs"/> connections of
    /// <paramref name="connections"/>; the first failure stops the rest and is the one thrown (see <see cref="WorkerPool"/>).
    /// A connection whose items all completed goes back to <paramref name="connections"/> for the next step; one that failed is closed.
    /// </summary>
    internal static async Task RunParallelAsync<T>(WorkerConnections connections, IReadOnlyList<T> items, int jobs,
        Func<NpgsqlConnection, T, CancellationToken, Task<long>> action, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
            return;
        var queue = new ConcurrentQueue<T>(items);
        await WorkerPool.RunAsync(Math.Min(jobs, items.Count), async token =>
        {
            var connection = await connections.RentAsync(token);
            try
            {
                while (queue.TryDequeue(out var item))
                {
                    token.ThrowIfCancellationRequested();
                    await action(connection, item, token);
                }
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
            await connections.ReturnAsync(connection);
        }, cancellationToken);
    }
}
