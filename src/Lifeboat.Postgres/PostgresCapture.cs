using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// Consistent, parallel, streamed logical capture of one database: a coordinator transaction
/// exports a snapshot; N workers adopt it and stream <c>COPY ... TO STDOUT</c> (text) per table,
/// largest first, straight into an <see cref="IStreamSink"/>; pg_dump writes the schema (pre-data
/// and post-data, custom format) in the same snapshot.
/// </summary>
public sealed class PostgresCapture
{
    private readonly TimeProvider _time;

    /// <summary>Creates a capture helper.</summary>
    public PostgresCapture(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Captures <paramref name="source"/> into <paramref name="sink"/> and returns (and stores as <c>manifest.json</c>) the manifest.</summary>
    public async Task<BackupManifest> CaptureAsync(PgConnectionInfo source, IStreamSink sink, CaptureOptions options, CancellationToken cancellationToken)
    {
        await using var prepared = await PrepareAsync(source, options, cancellationToken);
        return await CaptureAsync(prepared, sink, options.Progress, cancellationToken);
    }

    /// <summary>
    /// The first half of a capture, which needs no repository: connects, finds the client tools,
    /// exports the snapshot, reads the catalog and locks the tables. A caller can run it while it
    /// opens the repository (key derivation, index) and then finish with
    /// <see cref="CaptureAsync(PreparedCapture, IStreamSink, IProgress{CaptureProgress}, CancellationToken)"/>.
    /// Disposing the result ends the snapshot's transaction.
    /// </summary>
    public Task<PreparedCapture> PrepareAsync(PgConnectionInfo source, CaptureOptions options, CancellationToken cancellationToken) =>
        PrepareAsync(source, options, null, cancellationToken);

    /// <summary>
    /// <see cref="PrepareAsync(PgConnectionInfo, CaptureOptions, CancellationToken)"/> in a snapshot exported by someone
    /// else (a replication slot's, see <see cref="ChangeCapture"/>) instead of one the coordinator exports: the
    /// coordinator imports it, and the workers and pg_dump import the same one.
    /// </summary>
    internal async Task<PreparedCapture> PrepareAsync(PgConnectionInfo source, CaptureOptions options, ImportedSnapshot? imported, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Jobs, 1);
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        var selection = new TableSelection(options);

        var coordinator = await PgErrors.OpenAsync(source, cancellationToken);
        try
        {
            return await PrepareOnAsync(coordinator, source, options, imported, selection, startedAt, started, cancellationToken);
        }
        catch (Exception ex)
        {
            await coordinator.DisposeAsync();
            if (PgErrors.MapDuring(ex, source, "the backup") is { } mapped)
                throw mapped;
            throw;
        }
    }

    private static async Task<PreparedCapture> PrepareOnAsync(NpgsqlConnection coordinator, PgConnectionInfo source, CaptureOptions options,
        ImportedSnapshot? imported, TableSelection selection, DateTimeOffset startedAt, long started, CancellationToken cancellationToken)
    {
        var server = await ReadServerAsync(coordinator, cancellationToken);
        // probing pg_dump binaries runs beside the snapshot export and catalog reads
        var toolsTask = PgToolset.FindAsync(server.VersionNum / 10000, options.PgBinDirectory, cancellationToken);
        try
        {
            var snapshot = imported is null
                ? await ExportSnapshotAsync(coordinator, cancellationToken)
                : await ImportSnapshotAsync(coordinator, imported, cancellationToken);
            var catalog = await ReadCatalogAsync(coordinator, selection, options, cancellationToken);
            CheckPrivileges(source, catalog.DataTables, catalog.Sequences);
            await LockTablesAsync(coordinator, catalog.DataTables, cancellationToken);
            var tools = await toolsTask;
            return new PreparedCapture(coordinator, source, options, selection, startedAt, started, server, tools, snapshot, catalog);
        }
        catch
        {
            // let the probe finish (it owns child processes), and report the first failure
            await toolsTask.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
    }

    private static async Task<ServerFacts> ReadServerAsync(NpgsqlConnection coordinator, CancellationToken cancellationToken)
    {
        await using var show = new NpgsqlCommand(
            "SELECT current_setting('server_version_num'), current_setting('server_version'), current_setting('server_encoding')", coordinator);
        await using var reader = await show.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerFacts(int.Parse(reader.GetString(0), CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2));
    }

    /// <summary>Opens the coordinator's repeatable-read transaction and exports its snapshot for the workers and pg_dump.</summary>
    private static async Task<SnapshotFacts> ExportSnapshotAsync(NpgsqlConnection coordinator, CancellationToken cancellationToken)
    {
        await CatalogReader.ExecuteAsync(coordinator,
            "SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", cancellationToken);
        string snapshotId;
        DateTime snapshotTime;
        await using (var export = new NpgsqlCommand("SELECT pg_catalog.pg_export_snapshot(), now()", coordinator))
        await using (var reader = await export.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (snapshotId, snapshotTime) = (reader.GetString(0), reader.GetDateTime(1));
        }

        var lsn = await CatalogReader.TryScalarInTransactionAsync(coordinator,
            "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END::text", cancellationToken);
        var systemId = await CatalogReader.TryScalarInTransactionAsync(coordinator, "SELECT system_identifier::text FROM pg_catalog.pg_control_system()", cancellationToken);
        return new SnapshotFacts(snapshotId, snapshotTime, lsn, systemId);
    }

    /// <summary>Opens the coordinator's repeatable-read transaction in a snapshot exported elsewhere; its LSN is the exporter's.</summary>
    private static async Task<SnapshotFacts> ImportSnapshotAsync(NpgsqlConnection coordinator, ImportedSnapshot imported, CancellationToken cancellationToken)
    {
        await CatalogReader.ExecuteAsync(coordinator,
            "SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; " +
            $"SET TRANSACTION SNAPSHOT {Sql.Literal(imported.Name)}", cancellationToken);
        var snapshotTime = await CatalogReader.ScalarAsync<DateTime>(coordinator, "SELECT now()", cancellationToken);
        var systemId = await CatalogReader.TryScalarInTransactionAsync(coordinator, "SELECT system_identifier::text FROM pg_catalog.pg_control_system()", cancellationToken);
        return new SnapshotFacts(imported.Name, snapshotTime, imported.Lsn, systemId);
    }

    /// <summary>Reads tables, sequences and large objects in the snapshot and keeps what the selection includes.</summary>
    private static async Task<CaptureCatalog> ReadCatalogAsync(
        NpgsqlConnection coordinator, TableSelection selection, CaptureOptions options, CancellationToken cancellationToken)
    {
        var allTables = await CatalogReader.ListTablesAsync(coordinator, cancellationToken);
        var tables = allTables.Where(t => selection.IncludesTable(t.Schema, t.Name, t.Visible)).ToList();
        var tableOids = tables.Select(t => t.Oid).ToHashSet();
        var sequences = (await CatalogReader.ListSequencesAsync(coordinator, cancellationToken))
            .Where(s => selection.IncludesTable(s.Schema, s.Name, s.Visible) || (s.OwnerTableOid is { } owner && tableOids.Contains(owner)))
            .ToList();
        var includeLargeObjects = options.LargeObjects ?? !selection.HasIncludeFilters;
        var largeObjects = includeLargeObjects ? await CatalogReader.ListLargeObjectsAsync(coordinator, cancellationToken) : [];
        var dataTables = tables.Where(t => t.Kind == 'r' && !selection.ExcludesData(t.Schema, t.Name, t.Visible)).ToList();
        return new CaptureCatalog(tables, sequences, includeLargeObjects, largeObjects, dataTables);
    }

    /// <summary>Copies what <paramref name="prepared"/> found into <paramref name="sink"/>; returns (and stores as <c>manifest.json</c>) the manifest.</summary>
    public async Task<BackupManifest> CaptureAsync(PreparedCapture prepared, IStreamSink sink, IProgress<CaptureProgress>? progressSink, CancellationToken cancellationToken)
    {
        try
        {
            return await CaptureCoreAsync(prepared, sink, progressSink, cancellationToken);
        }
        catch (Exception ex) when (PgErrors.MapDuring(ex, prepared.Source, "the backup") is { } mapped)
        {
            throw mapped;
        }
    }

    private async Task<BackupManifest> CaptureCoreAsync(PreparedCapture prepared, IStreamSink sink, IProgress<CaptureProgress>? progressSink, CancellationToken cancellationToken)
    {
        var (source, options, selection, coordinator, tools) = (prepared.Source, prepared.Options, prepared.Selection, prepared.Coordinator, prepared.Tools);
        var (tables, sequences, includeLargeObjects, largeObjects, dataTables) = prepared.Catalog;
        var (snapshotId, snapshotTime, lsn, systemId) = prepared.Snapshot;
        var (serverVersionNum, serverVersion, encoding) = prepared.Server;
        var (startedAt, started) = (prepared.StartedAt, prepared.Started);
        var progress = new ProgressTracker(progressSink, dataTables.Sum(t => t.SizeBytes), dataTables.Count);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = new ConcurrentQueue<WorkItem>(
            dataTables.Select(t => new WorkItem(t, null)).Concat(largeObjects.Select(o => new WorkItem(null, o))));
        var tableResults = new ConcurrentDictionary<uint, TableEntry>();
        var loResults = new ConcurrentDictionary<uint, LargeObjectEntry>();
        var env = source.ToChildEnvironment();

        var schemaTask = DumpSchemaAsync(tools, env, snapshotId, selection, options, includeLargeObjects, sink, failure.Token);
        var globalsTask = options.Globals ? DumpGlobalsAsync(tools, env, sink, failure.Token) : Task.FromResult(new GlobalsCapture(null, null));
        var workers = Enumerable.Range(0, Math.Min(options.Jobs, Math.Max(1, work.Count)))
            .Select(_ => RunWorkerAsync(source, new PsqlCopy(tools, env, snapshotId, options.PsqlCopyMinBytes, !options.PhysicalOrder), work, sink, tableResults, loResults, progress, failure.Token))
            .ToList();
        List<SequenceEntry> sequenceValues;
        try
        {
            sequenceValues = await ReadSequencesAsync(coordinator, sequences, failure.Token);
            await WorkerPool.WhenAllAsync([schemaTask, globalsTask, .. workers], failure);
        }
        catch
        {
            await failure.CancelAsync();
            await Task.WhenAll(new Task[] { schemaTask, globalsTask }.Concat(workers)).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
        await CatalogReader.ExecuteAsync(coordinator, "COMMIT", cancellationToken);

        var tableEntries = tables
            .Select(t => (tableResults.TryGetValue(t.Oid, out var copied) ? copied : ToEntry(t, selection)) with { DataOnly = selection.IsDataOnly(t.Schema, t.Name, t.Visible) })
            .ToList();
        var globals = await globalsTask;
        var manifest = new BackupManifest
        {
            ServerVersion = serverVersion,
            ServerVersionNum = serverVersionNum,
            SystemIdentifier = systemId,
            Database = source.Database,
            Encoding = encoding,
            WalLsn = lsn,
            SnapshotTime = new DateTimeOffset(DateTime.SpecifyKind(snapshotTime, DateTimeKind.Utc)),
            StartedAt = startedAt,
            CompletedAt = _time.GetUtcNow(),
            PgDumpVersion = tools.VersionText,
            Schema = await schemaTask,
            Globals = globals.Stream,
            GlobalsNotSaved = globals.NotSaved,
            Tables = tableEntries,
            Sequences = sequenceValues,
            LargeObjects = largeObjects.Select(o => loResults[o]).ToList(),
            Options = new CaptureOptionsRecord
            {
                Jobs = options.Jobs,
                Schemas = options.Schemas,
                ExcludeSchemas = options.ExcludeSchemas,
                Tables = options.Tables,
                ExcludeTables = options.ExcludeTables,
                ExcludeTableData = options.ExcludeTableData,
                DataOnlyTables = options.DataOnlyTables,
                Profile = options.Profile,
                LargeObjects = includeLargeObjects,
                Globals = options.Globals,
                PhysicalOrder = options.PhysicalOrder,
            },
        };
        using (var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJson())))
            await sink.WriteStreamAsync(StreamNames.Manifest, json, cancellationToken);
        return manifest;
    }

    private static TableEntry ToEntry(CatalogTable t, TableSelection selection) => new()
    {
        Schema = t.Schema,
        Name = t.Name,
        Kind = t.Kind == 'p' ? "partitioned" : t.IsPartition ? "partition" : "table",
        Columns = t.Columns,
        DataExcluded = t.Kind == 'r' && selection.ExcludesData(t.Schema, t.Name, t.Visible),
        EstimatedBytes = t.SizeBytes,
        RlsEnabled = t.RlsEnabled,
        RlsForced = t.RlsForced,
        PolicyCount = t.PolicyCount,
        OrderSensitive = t.OrderSensitive,
    };

    private static void CheckPrivileges(PgConnectionInfo source, List<CatalogTable> tables, List<CatalogSequence> sequences)
    {
        var missing = tables.Where(t => !t.CanSelect).Select(t => Sql.Qualify(t.Schema, t.Name))
            .Concat(sequences.Where(s => !s.CanSelect).Select(s => Sql.Qualify(s.Schema, s.Name)))
            .ToList();
        if (missing.Count == 0)
            return;
        var shown = string.Join(", ", missing.Take(10)) + (missing.Count > 10 ? $" and {missing.Count - 10} more" : "");
        throw new InsufficientPrivilegeException(
            $"User \"{source.User}\" may not read {shown}. Grant it, e.g. GRANT SELECT ON {missing[0]} TO {Sql.Ident(source.User)}; " +
            $"(or GRANT SELECT ON ALL TABLES IN SCHEMA ... / ALL SEQUENCES IN SCHEMA ...), or exclude those tables with --exclude-table.");
    }

    private static async Task LockTablesAsync(NpgsqlConnection coordinator, List<CatalogTable> tables, CancellationToken cancellationToken)
    {
        // like pg_dump: hold ACCESS SHARE so no table is dropped or rewritten under the workers
        foreach (var batch in tables.Chunk(500))
        {
            var names = string.Join(", ", batch.Select(t => Sql.Qualify(t.Schema, t.Name)));
            await CatalogReader.ExecuteAsync(coordinator, $"LOCK TABLE ONLY {names} IN ACCESS SHARE MODE", cancellationToken);
        }
    }

    private static async Task<List<SequenceEntry>> ReadSequencesAsync(NpgsqlConnection coordinator, List<CatalogSequence> sequences, CancellationToken cancellationToken)
    {
        var result = new List<SequenceEntry>();
        foreach (var s in sequences)
        {
            await using var command = new NpgsqlCommand($"SELECT last_value, is_called FROM {Sql.Qualify(s.Schema, s.Name)}", coordinator);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            result.Add(new SequenceEntry(s.Schema, s.Name, reader.GetInt64(0), reader.GetBoolean(1)));
        }
        return result;
    }

    private async Task RunWorkerAsync(PgConnectionInfo source, PsqlCopy psql, ConcurrentQueue<WorkItem> work, IStreamSink sink,
        ConcurrentDictionary<uint, TableEntry> tableResults, ConcurrentDictionary<uint, LargeObjectEntry> loResults,
        ProgressTracker progress, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(source, cancellationToken);
        await CatalogReader.ExecuteAsync(connection,
            PsqlTableCopy.SessionSettings + "; " +
            $"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT {Sql.Literal(psql.SnapshotId)}", cancellationToken);
        while (work.TryDequeue(out var item))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.Table is { } table)
            {
                var entry = table.SizeBytes >= psql.MinBytes
                    ? await CopyTableWithPsqlAsync(psql, table, sink, progress, cancellationToken)
                    : await CopyTableAsync(connection, table, psql.Ordered, sink, progress, cancellationToken);
                tableResults[table.Oid] = entry;
                progress.TableDone(entry.QualifiedName);
            }
            else
            {
                var oid = item.LargeObject!.Value;
                var name = StreamNames.LargeObject(oid);
                await using var counting = new HashingReadStream(new LargeObjectReadStream(connection, oid), progress.AddBytes, sha256: false);
                StoredStream stored;
                try
                {
                    stored = await StoreAsync(sink, name, counting, cancellationToken);
                }
                catch (PostgresException ex)
                {
                    throw PgErrors.MapStatement(ex, "Reading large object", oid.ToString(CultureInfo.InvariantCulture),
                        $"Grant it: GRANT SELECT ON LARGE OBJECT {oid} TO {Sql.Ident(source.User)}; or capture without large objects.");
                }
                loResults[oid] = new LargeObjectEntry(oid, name, stored.Length, stored.Sha256);
                progress.ObjectDone("large object " + oid.ToString(CultureInfo.InvariantCulture));
            }
        }
        await CatalogReader.ExecuteAsync(connection, "COMMIT", cancellationToken);
    }

    private static async Task<TableEntry> CopyTableWithPsqlAsync(PsqlCopy psql, CatalogTable table, IStreamSink sink, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var name = StreamNames.TableData(table.Schema, table.Name);
        var (stored, rows, rowsDigest) = await PsqlTableCopy.CopyAsync(psql.Tools, psql.Environment, psql.SnapshotId, table, psql.Ordered, name, sink, progress, cancellationToken);
        return ToEntry(table, new TableSelection(new CaptureOptions())) with
        {
            Stream = name,
            OrderedBy = psql.Ordered ? table.OrderKey : null,
            Rows = rows,
            Bytes = stored.Length,
            Sha256 = stored.Sha256,
            RowsDigest = rowsDigest,
        };
    }

    private static async Task<TableEntry> CopyTableAsync(NpgsqlConnection connection, CatalogTable table, bool ordered, IStreamSink sink, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var qualified = Sql.Qualify(table.Schema, table.Name);
        var name = StreamNames.TableData(table.Schema, table.Name);
        NpgsqlCopyTextReader reader;
        try
        {
            reader = await connection.BeginTextExportAsync($"COPY {table.CopySource(ordered)} TO STDOUT", cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw PgErrors.MapStatement(ex, "COPY", qualified,
                ex.MessageText.Contains("row-level security", StringComparison.Ordinal)
                    ? "The table has FORCE ROW LEVEL SECURITY: capture with a role that has BYPASSRLS (or a superuser), or ALTER TABLE ... NO FORCE ROW LEVEL SECURITY."
                    : $"Grant it: GRANT SELECT ON {qualified} TO <backup role>;");
        }
        var completed = false;
        try
        {
            // NpgsqlCopyTextReader is a StreamReader over the raw COPY stream: read the bytes, never decode them
            await using var counting = new HashingReadStream(new CoalescingReadStream(reader.BaseStream), progress.AddBytes, sha256: false, rowDigest: true);
            var stored = await StoreAsync(sink, name, counting, cancellationToken);
            completed = true;
            return ToEntry(table, new TableSelection(new CaptureOptions())) with
            {
                Stream = name,
                OrderedBy = ordered ? table.OrderKey : null,
                Rows = counting.Newlines,
                Bytes = stored.Length,
                Sha256 = stored.Sha256,
                RowsDigest = counting.RowsDigest,
            };
        }
        finally
        {
            if (!completed)
            {
                try
                {
                    await reader.CancelAsync();
                }
                catch (Exception)
                {
                    // the connection is discarded anyway
                }
            }
            reader.Dispose();
        }
    }

    private static async Task<StreamEntry> DumpSchemaAsync(PgToolset tools, IReadOnlyDictionary<string, string> env, string snapshotId,
        TableSelection selection, CaptureOptions options, bool largeObjects, IStreamSink sink, CancellationToken cancellationToken)
    {
        string[] args =
        [
            "--format=custom", "--section=pre-data", "--section=post-data", "--snapshot=" + snapshotId, "--no-password",
            largeObjects ? "--blobs" : "--no-blobs", .. selection.PgDumpArguments(options),
        ];
        StreamEntry? entry = null;
        await ChildProcess.RunAsync(tools.PgDump, args, env, async (stdout, ct) =>
        {
            await using var counting = new HashingReadStream(stdout, sha256: false);
            var stored = await StoreAsync(sink, StreamNames.Schema, counting, ct);
            entry = new StreamEntry(StreamNames.Schema, stored.Length, stored.Sha256);
        }, null, cancellationToken);
        return entry!;
    }

    /// <summary>The globals stream, or why pg_dumpall gave none.</summary>
    private sealed record GlobalsCapture(StreamEntry? Stream, string? NotSaved);

    private async Task<GlobalsCapture> DumpGlobalsAsync(PgToolset tools, IReadOnlyDictionary<string, string> env, IStreamSink sink, CancellationToken cancellationToken)
    {
        // capture into memory first: globals are small, and a refusal must not leave a half-written stream
        var buffer = new MemoryStream();
        try
        {
            await ChildProcess.RunAsync(tools.PgDumpAll, ["--globals-only", "--no-role-passwords", "--no-password"], env,
                (stdout, ct) => stdout.CopyToAsync(buffer, ct), null, cancellationToken);
        }
        catch (PgToolFailedException e)
        {
            // a managed host may refuse pg_dumpall: the database is still backed up, the manifest holds no globals
            // (restore --globals says so), and the backup warns with pg_dumpall's own words
            return new GlobalsCapture(null, e.Message);
        }
        buffer.Position = 0;
        await using var counting = new HashingReadStream(buffer, sha256: false);
        var stored = await StoreAsync(sink, StreamNames.Globals, counting, cancellationToken);
        return new GlobalsCapture(new StreamEntry(StreamNames.Globals, stored.Length, stored.Sha256), null);
    }

    /// <summary>Stores a stream and checks that the sink read all of it: its hash is then the stream's.</summary>
    internal static async Task<StoredStream> StoreAsync(IStreamSink sink, string name, HashingReadStream content, CancellationToken cancellationToken)
    {
        var stored = await sink.WriteStreamAsync(name, content, cancellationToken);
        await content.DrainAsync(cancellationToken);
        if (stored.Length != content.BytesRead)
            throw new InvalidOperationException($"stream {name}: {content.BytesRead} bytes were read but {stored.Length} stored");
        return stored;
    }

    private sealed record WorkItem(CatalogTable? Table, uint? LargeObject);

    /// <summary>What a worker needs to read a large table through psql (see <see cref="PsqlTableCopy"/>).</summary>
    private sealed record PsqlCopy(PgToolset Tools, IReadOnlyDictionary<string, string> Environment, string SnapshotId, long MinBytes, bool Ordered);
}
