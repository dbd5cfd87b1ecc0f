using System.Runtime.CompilerServices;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace Lifeboat.Postgres;

/// <summary>
/// Turns pgoutput messages (protocol 1 and the streaming of protocol 2) into committed
/// transactions: Begin/Commit pairs, and streamed transactions assembled from their Stream Start/Stop
/// blocks (several may be in progress at once, between ordinary transactions) until their Stream
/// Commit; a Stream Abort discards the transaction or subtransaction. Relation messages keep the
/// table descriptions current. Each transaction's changes go to a <see cref="ChangeBuffer"/>, so memory
/// stays bounded by the limit for each transaction in progress.
/// </summary>
internal sealed class PgOutputDecoder : IDisposable
{
    private readonly long _memoryLimit;
    private readonly string _spillDirectory;
    private readonly Dictionary<uint, RelationInfo> _relations = [];
    private readonly Dictionary<uint, ChangeBuffer> _streamed = [];
    private ChangeBuffer? _current;
    private uint _currentXid;
    private uint? _streamXid;

    public PgOutputDecoder(long memoryLimit, string spillDirectory)
    {
        _memoryLimit = memoryLimit;
        _spillDirectory = spillDirectory;
    }

    /// <summary>Streamed transactions in progress (not yet committed or aborted).</summary>
    public int StreamsInProgress => _streamed.Count;

    /// <summary>Decodes <paramref name="messages"/> and yields each transaction once it committed.</summary>
    public async IAsyncEnumerable<CapturedTransaction> DecodeAsync(
        IAsyncEnumerable<PgOutputReplicationMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (await HandleAsync(message, cancellationToken).ConfigureAwait(false) is { } committed)
            {
                yield return committed;
            }
        }
    }

    /// <summary>Takes one message; returns the transaction it commits, if it does.</summary>
    internal async Task<CapturedTransaction?> HandleAsync(PgOutputReplicationMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case BeginMessage begin:
                _current?.Dispose();
                _current = new ChangeBuffer(_memoryLimit, _spillDirectory);
                _currentXid = begin.TransactionXid;
                return null;
            case CommitMessage commit:
                var done = _current ?? throw new InvalidOperationException($"a Commit at {Lsn.Format((ulong)commit.CommitLsn)} without a Begin");
                _current = null;
                return new CapturedTransaction(_currentXid, (ulong)commit.CommitLsn, (ulong)commit.TransactionEndLsn, commit.TransactionCommitTimestamp, false, done);
            case StreamStartMessage start:
                _streamXid = start.TransactionXid;
                if (!_streamed.ContainsKey(start.TransactionXid))
                {
                    _streamed[start.TransactionXid] = new ChangeBuffer(_memoryLimit, _spillDirectory);
                }

                return null;
            case StreamStopMessage:
                _streamXid = null;
                return null;
            case StreamCommitMessage streamCommit:
                if (!_streamed.Remove(streamCommit.TransactionXid, out var streamed))
                {
                    throw new InvalidOperationException($"a Stream Commit of transaction {streamCommit.TransactionXid}, which streamed nothing");
                }

                return new CapturedTransaction(
                    streamCommit.TransactionXid, (ulong)streamCommit.CommitLsn, (ulong)streamCommit.TransactionEndLsn, streamCommit.TransactionCommitTimestamp, true, streamed);
            case StreamAbortMessage abort:
                Abort(abort.TransactionXid, abort.SubtransactionXid);
                return null;
            case RelationMessage relation:
                _relations[relation.RelationId] = Describe(relation);
                return null;
            default:
                await AddChangeAsync(message, cancellationToken).ConfigureAwait(false);
                return null;
        }
    }

    private void Abort(uint xid, uint subXid)
    {
        if (!_streamed.TryGetValue(xid, out var buffer))
        {
            return; // aborted before anything of it was streamed
        }

        if (subXid == xid)
        {
            _streamed.Remove(xid);
            buffer.Dispose();
        }
        else
        {
            buffer.AbortSubtransaction(subXid);
        }
    }

    private async Task AddChangeAsync(PgOutputReplicationMessage message, CancellationToken cancellationToken)
    {
        var change = message switch
        {
            InsertMessage m => CapturedChange.Insert(m.Relation.RelationId, await ReadAsync(m.NewRow, cancellationToken).ConfigureAwait(false)),
            FullUpdateMessage m => new CapturedChange(ChangeKind.Update, m.Relation.RelationId,
                await ReadAsync(m.OldRow, cancellationToken).ConfigureAwait(false), false, await ReadAsync(m.NewRow, cancellationToken).ConfigureAwait(false), [], 0),
            IndexUpdateMessage m => new CapturedChange(ChangeKind.Update, m.Relation.RelationId,
                await ReadAsync(m.Key, cancellationToken).ConfigureAwait(false), true, await ReadAsync(m.NewRow, cancellationToken).ConfigureAwait(false), [], 0),
            UpdateMessage m => new CapturedChange(ChangeKind.Update, m.Relation.RelationId, null, false, await ReadAsync(m.NewRow, cancellationToken).ConfigureAwait(false), [], 0),
            FullDeleteMessage m => new CapturedChange(ChangeKind.Delete, m.Relation.RelationId, await ReadAsync(m.OldRow, cancellationToken).ConfigureAwait(false), false, null, [], 0),
            KeyDeleteMessage m => new CapturedChange(ChangeKind.Delete, m.Relation.RelationId, await ReadAsync(m.Key, cancellationToken).ConfigureAwait(false), true, null, [], 0),
            TruncateMessage m => new CapturedChange(ChangeKind.Truncate, 0, null, false, null, m.Relations.Select(r => r.RelationId).ToArray(), (byte)m.Options),
            _ => null, // Type, Origin, logical messages: nothing to capture yet
        };
        if (change is null)
        {
            return;
        }

        var streamXid = (message as TransactionalMessage)?.TransactionXid;
        var buffer = _streamXid is { } top
            ? _streamed[top]
            : _current ?? throw new InvalidOperationException($"a change at {Lsn.Format((ulong)message.WalStart)} outside a transaction");
        foreach (var relation in change.Kind == ChangeKind.Truncate ? change.TruncatedRelations : [change.RelationId])
        {
            buffer.Relations[relation] = _relations.TryGetValue(relation, out var info)
                ? info
                : throw new InvalidOperationException($"a change of relation {relation}, which no Relation message described");
        }

        buffer.Add(_streamXid is null ? null : streamXid ?? _streamXid, change);
    }

    private static RelationInfo Describe(RelationMessage relation) => new(
        relation.RelationId, relation.Namespace, relation.RelationName, (char)relation.ReplicaIdentity,
        relation.Columns.Select(c => new RelationColumn(
            c.ColumnName, c.DataTypeId, c.TypeModifier, c.Flags.HasFlag(RelationMessage.Column.ColumnFlags.PartOfKey))).ToArray());

    /// <summary>Reads a tuple now: its data is only valid until the next message.</summary>
    private static async Task<ColumnValue[]> ReadAsync(ReplicationTuple tuple, CancellationToken cancellationToken)
    {
        var values = new ColumnValue[tuple.NumColumns];
        var i = 0;
        await foreach (var value in tuple.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            values[i++] = value.Kind switch
            {
                TupleDataKind.Null => ColumnValue.Null,
                TupleDataKind.UnchangedToastedValue => ColumnValue.Unchanged,
                TupleDataKind.TextValue => ColumnValue.Of(await ReadTextAsync(value, cancellationToken).ConfigureAwait(false)),
                _ => throw new InvalidOperationException($"a {value.Kind} column value: the stream was asked for text"),
            };
        }

        return values;
    }

    private static async Task<string> ReadTextAsync(ReplicationValue value, CancellationToken cancellationToken)
    {
        using var reader = value.GetTextReader();
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _current?.Dispose();
        foreach (var buffer in _streamed.Values)
        {
            buffer.Dispose();
        }

        _streamed.Clear();
    }
}
