using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;

namespace Lifeboat.Postgres;

/// <summary>
/// A change capture session on one database: checks the prerequisites, publishes the selected
/// tables, creates a <c>pgoutput</c> slot that exports its snapshot, takes the base backup in that
/// snapshot (<see cref="CaptureBaseAsync"/>: the parallel COPY workers and pg_dump import it), and then
/// streams every transaction committed after the slot's consistent point (<see cref="StreamAsync"/>).
/// Base and stream meet exactly there: a transaction is in the base or in the stream, never both.
/// Nothing else is sent on the replication connection while the snapshot is in use: it lives only
/// until that connection's next command.
/// </summary>
public sealed partial class ChangeCapture : IAsyncDisposable
{
    private readonly PgConnectionInfo _source;
    private readonly ChangeCaptureOptions _options;
    private readonly LogicalReplicationConnection _connection;
    private readonly PgOutputReplicationSlot _slot;
    private readonly PgOutputProtocolVersion _protocol;
    private BaseState _base;

    private ChangeCapture(
        PgConnectionInfo source, ChangeCaptureOptions options, LogicalReplicationConnection connection, PgOutputReplicationSlot slot,
        PgOutputProtocolVersion protocol, IReadOnlyList<string> tables, ulong? resumedAt = null)
    {
        _source = source;
        _options = options;
        _connection = connection;
        _slot = slot;
        _protocol = protocol;
        PublishedTables = tables;
        ConsistentPoint = resumedAt ?? (ulong)slot.ConsistentPoint;
        _base = resumedAt is null ? BaseState.Pending : BaseState.Captured;
    }

    private enum BaseState
    {
        Pending,
        Failed,
        Captured,
    }

    /// <summary>The slot's name.</summary>
    public string SlotName => _slot.Name;

    /// <summary>The snapshot the slot exported (valid until the base backup is done); null for a resumed session.</summary>
    public string? SnapshotName => _slot.SnapshotName;

    /// <summary>
    /// The slot's consistent point: the base shows every transaction committed before it, the stream every one after.
    /// For a resumed session, the slot's <c>confirmed_flush_lsn</c>, where the stream starts again.
    /// </summary>
    public ulong ConsistentPoint { get; }

    /// <summary>The tables published, quoted and qualified.</summary>
    public IReadOnlyList<string> PublishedTables { get; }

    /// <summary>
    /// Checks the prerequisites (typed errors saying what to change), publishes the selected tables and
    /// creates the slot. Throws <see cref="WalLevelNotLogicalException"/>, <see cref="ReplicationNotPermittedException"/>,
    /// <see cref="ReplicationThroughPoolerException"/>, <see cref="TablesWithoutReplicaIdentityException"/>,
    /// <see cref="InsufficientPrivilegeException"/> or <see cref="CaptureFailedException"/>; then nothing was created.
    /// </summary>
    public static async Task<ChangeCapture> StartAsync(PgConnectionInfo source, ChangeCaptureOptions options, CancellationToken cancellationToken)
    {
        CheckName(options.SlotName, "slot");
        CheckName(options.PublicationName, "publication");
        ChangeCapturePrerequisites.RefusePooler(source);
        Publication publication;
        await using (var connection = await PgErrors.OpenAsync(source, cancellationToken))
        {
            var facts = await ChangeCapturePrerequisites.CheckAsync(connection, source, options.Capture, cancellationToken);
            publication = await Publication.CreateAsync(connection, options.PublicationName, facts.Tables, cancellationToken);
            try
            {
                var (replication, slot) = await CreateSlotAsync(source, options.SlotName, cancellationToken);
                var protocol = facts.ServerVersionNum >= 140000 ? PgOutputProtocolVersion.V2 : PgOutputProtocolVersion.V1;
                return new ChangeCapture(source, options, replication, slot, protocol, facts.Tables);
            }
            catch
            {
                await publication.UndoAsync(connection, CancellationToken.None);
                throw;
            }
        }
    }

    /// <summary>
    /// Follows an existing slot again (after a restart): no base, the stream resumes where the slot was last
    /// acknowledged (transactions after that may come again: the caller skips what it holds already). Throws
    /// <see cref="ReplicationSlotLostException"/> when the slot is gone or invalidated: a new base backup is then needed.
    /// </summary>
    public static async Task<ChangeCapture> ResumeAsync(PgConnectionInfo source, ChangeCaptureOptions options, CancellationToken cancellationToken)
    {
        CheckName(options.SlotName, "slot");
        CheckName(options.PublicationName, "publication");
        ChangeCapturePrerequisites.RefusePooler(source);
        ulong confirmed;
        int version;
        List<string> tables;
        await using (var connection = await PgErrors.OpenAsync(source, cancellationToken))
        {
            await ChangeCapturePrerequisites.WaitUntilInactiveAsync(connection, options.SlotName, cancellationToken);
            confirmed = await ChangeCapturePrerequisites.ConfirmedPositionAsync(connection, source, options.SlotName, cancellationToken);
            version = await CatalogReader.ScalarAsync<int>(connection, "SELECT current_setting('server_version_num')::int", cancellationToken);
            tables = await ChangeCapturePrerequisites.PublishedTablesAsync(connection, options.PublicationName, cancellationToken);
        }

        var replication = new LogicalReplicationConnection(source.ToConnectionStringBuilder().ConnectionString);
        try
        {
            await replication.Open(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            await replication.DisposeAsync();
            throw ChangeCapturePrerequisites.MapReplicationConnect(e, source);
        }

        var protocol = version >= 140000 ? PgOutputProtocolVersion.V2 : PgOutputProtocolVersion.V1;
        return new ChangeCapture(source, options, replication, new PgOutputReplicationSlot(options.SlotName), protocol, tables, confirmed);
    }

    private static async Task<(LogicalReplicationConnection, PgOutputReplicationSlot)> CreateSlotAsync(
        PgConnectionInfo source, string slotName, CancellationToken cancellationToken)
    {
        var connection = new LogicalReplicationConnection(source.ToConnectionStringBuilder().ConnectionString);
        try
        {
            try
            {
                await connection.Open(cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                throw ChangeCapturePrerequisites.MapReplicationConnect(e, source);
            }

            try
            {
                var slot = await connection.CreatePgOutputReplicationSlot(
                    slotName, temporarySlot: false, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: cancellationToken);
                return (connection, slot);
            }
            catch (PostgresException e)
            {
                throw ChangeCapturePrerequisites.MapCreateSlot(e, slotName);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Takes the base backup in the slot's snapshot with the parallel COPY capture (<see cref="PostgresCapture"/>),
    /// into <paramref name="sink"/>; the manifest's WAL position is the consistent point. Once only, before
    /// <see cref="StreamAsync"/>.
    /// </summary>
    public async Task<BackupManifest> CaptureBaseAsync(IStreamSink sink, IProgress<CaptureProgress>? progress, CancellationToken cancellationToken)
    {
        if (_base != BaseState.Pending)
        {
            throw new InvalidOperationException("the base backup was taken (or tried) already: the slot's snapshot is used once");
        }

        _base = BaseState.Failed;
        var capture = new PostgresCapture();
        await using var prepared = await capture.PrepareAsync(
            _source, _options.Capture, new ImportedSnapshot(SnapshotName!, Lsn.Format(ConsistentPoint)), cancellationToken);
        var manifest = await capture.CaptureAsync(prepared, sink, progress, cancellationToken);
        _base = BaseState.Captured;
        return manifest;
    }

    /// <summary>
    /// Streams the transactions committed after the consistent point, in commit order, from protocol 2
    /// with streaming of large transactions in progress where the server has it (PostgreSQL 14 and
    /// later). Only after <see cref="CaptureBaseAsync"/> succeeded. Read each transaction's changes
    /// before taking the next; acknowledge with <see cref="Acknowledge"/> only what is durable.
    /// </summary>
    public async IAsyncEnumerable<CapturedTransaction> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_base != BaseState.Captured)
        {
            throw new InvalidOperationException("the base backup must be taken first: until it is, the slot's snapshot is in use and the replication connection must stay idle");
        }

        var options = new PgOutputReplicationOptions(
            _options.PublicationName, _protocol, binary: false,
            streamingMode: _protocol >= PgOutputProtocolVersion.V2 ? PgOutputStreamingMode.On : null);
        using var decoder = new PgOutputDecoder(_options.TransactionMemoryBytes, _options.SpillDirectory);
        await foreach (var transaction in decoder.DecodeAsync(_connection.StartReplication(_slot, options, cancellationToken), cancellationToken))
        {
            yield return transaction;
        }
    }

    /// <summary>
    /// Tells the server it may forget the WAL up to <paramref name="lsn"/> (a transaction's
    /// <see cref="CapturedTransaction.EndLsn"/> once its segment is durable); sent with the next status update.
    /// </summary>
    public void Acknowledge(ulong lsn) => _connection.SetReplicationStatus(new NpgsqlLogSequenceNumber(lsn));

    /// <summary>Sends the acknowledged position now instead of at the next status interval.</summary>
    public Task SendStatusAsync(CancellationToken cancellationToken) => _connection.SendStatusUpdate(cancellationToken);

    /// <summary>
    /// Drops a slot and a publication (e.g. at <c>follow --stop</c>, or after a test), on an ordinary
    /// connection; waits up to 30 s for a session still streaming from the slot to go.
    /// </summary>
    public static async Task DropAsync(PgConnectionInfo source, string slotName, string publicationName, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(source, cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var drop = new NpgsqlCommand(
                    "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1", connection);
                drop.Parameters.Add(new NpgsqlParameter { Value = slotName });
                await drop.ExecuteNonQueryAsync(cancellationToken);
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 300)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        await CatalogReader.ExecuteAsync(connection, $"DROP PUBLICATION IF EXISTS {Sql.Ident(publicationName)}", cancellationToken);
    }

    /// <summary>Closes the replication connection (the slot stays: it is dropped only by <see cref="DropAsync"/>).</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static void CheckName(string name, string what)
    {
        if (!NameRule().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid {what} name: use 1 to 63 lower-case letters, digits and underscores");
        }
    }

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex NameRule();
}
