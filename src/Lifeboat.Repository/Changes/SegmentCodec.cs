using System.Buffers.Binary;
using System.Text;

namespace Lifeboat.Repository.Changes;

/// <summary>
/// Writes a change-log segment's stream (repository-format.md §16.1): <c>"LBCL"</c>, version 1, then
/// transactions back to back, each a header and its changes. Integers are little-endian; counts and
/// lengths unsigned LEB128 varints; strings a varint byte length and UTF-8.
/// </summary>
internal sealed class SegmentEncoder
{
    public static ReadOnlySpan<byte> Magic => "LBCL"u8;

    public const byte Version = 1;

    public const byte TransactionTag = (byte)'T';

    private readonly Stream _output;
    private readonly byte[] _scratch = new byte[16];

    public SegmentEncoder(Stream output)
    {
        _output = output;
        _output.Write(Magic);
        _output.WriteByte(Version);
    }

    public void WriteTransaction(LoggedTransaction transaction)
    {
        _output.WriteByte(TransactionTag);
        WriteU32(transaction.Xid);
        WriteU64(transaction.CommitLsn);
        WriteU64(transaction.EndLsn);
        WriteU64((ulong)ToMicroseconds(transaction.CommitTime));
        WriteVarint((ulong)transaction.Relations.Count);
        foreach (var relation in transaction.Relations)
        {
            WriteU32(relation.Id);
            WriteString(relation.Schema);
            WriteString(relation.Name);
            _output.WriteByte((byte)relation.ReplicaIdentity);
            WriteVarint((ulong)relation.Columns.Count);
            foreach (var column in relation.Columns)
            {
                WriteString(column.Name);
                WriteU32(column.TypeOid);
                WriteU32((uint)column.TypeModifier);
                _output.WriteByte(column.IsKey ? (byte)1 : (byte)0);
            }
        }

        WriteVarint((ulong)transaction.ChangeCount);
    }

    public void WriteChange(LoggedChange change)
    {
        _output.WriteByte((byte)change.Kind);
        if (change.Kind == LoggedChangeKind.Truncate)
        {
            WriteVarint((ulong)change.TruncatedRelations.Count);
            foreach (var relation in change.TruncatedRelations)
            {
                WriteU32(relation);
            }

            _output.WriteByte(change.TruncateFlags);
            return;
        }

        WriteU32(change.RelationId);
        var flags = (change.OldIsKey ? 1 : 0) | (change.OldValues is null ? 0 : 2) | (change.NewValues is null ? 0 : 4);
        _output.WriteByte((byte)flags);
        WriteValues(change.OldValues);
        WriteValues(change.NewValues);
    }

    public static long ToMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private void WriteValues(IReadOnlyList<LoggedValue>? values)
    {
        if (values is null)
        {
            return;
        }

        WriteVarint((ulong)values.Count);
        foreach (var value in values)
        {
            _output.WriteByte((byte)value.Kind);
            if (value.Kind == LoggedValueKind.Text)
            {
                WriteString(value.Text ?? throw new ArgumentException("a text value without text"));
            }
        }
    }

    private void WriteString(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        WriteVarint((ulong)bytes.Length);
        _output.Write(bytes);
    }

    private void WriteU32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch, value);
        _output.Write(_scratch, 0, 4);
    }

    private void WriteU64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_scratch, value);
        _output.Write(_scratch, 0, 8);
    }

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _output.WriteByte((byte)value);
    }
}

/// <summary>
/// Reads a segment's stream back (the inverse of <see cref="SegmentEncoder"/>), refusing anything it
/// does not know with an <see cref="IntegrityException"/>: a transaction's header, then exactly its
/// <see cref="LoggedTransaction.ChangeCount"/> changes.
/// </summary>
public sealed class ChangeSegmentReader : IAsyncDisposable
{
    private const int MaxString = 1 << 30;

    private readonly Stream _input;
    private readonly string _name;
    private readonly byte[] _scratch = new byte[16];
    private long _changesLeft;
    private bool _started;

    /// <summary>Reads the segment stream <paramref name="input"/> (disposed with this reader); <paramref name="name"/> names it in errors.</summary>
    public ChangeSegmentReader(Stream input, string name)
    {
        _input = new BufferedStream(input, 1 << 16);
        _name = name;
    }

    /// <summary>The next transaction's header, or null at the end; its changes must be read first.</summary>
    public async Task<LoggedTransaction?> ReadTransactionAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            await ReadExactlyAsync(5, cancellationToken);
            if (!_scratch.AsSpan(0, 4).SequenceEqual(SegmentEncoder.Magic) || _scratch[4] != SegmentEncoder.Version)
            {
                throw Damaged("does not start with LBCL version 1");
            }

            _started = true;
        }

        if (_changesLeft != 0)
        {
            throw new InvalidOperationException("the changes of the previous transaction were not all read");
        }

        var tag = await TryReadByteAsync(cancellationToken);
        if (tag < 0)
        {
            return null;
        }

        if (tag != SegmentEncoder.TransactionTag)
        {
            throw Damaged($"has record tag {tag} where a transaction was expected");
        }

        var xid = await ReadU32Async(cancellationToken);
        var commitLsn = await ReadU64Async(cancellationToken);
        var endLsn = await ReadU64Async(cancellationToken);
        var micros = (long)await ReadU64Async(cancellationToken);
        var relations = new LoggedRelation[await ReadCountAsync(cancellationToken)];
        for (var i = 0; i < relations.Length; i++)
        {
            relations[i] = await ReadRelationAsync(cancellationToken);
        }

        _changesLeft = (long)await ReadVarintAsync(cancellationToken);
        var time = DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
        return new LoggedTransaction(xid, commitLsn, endLsn, time, relations, _changesLeft);
    }

    /// <summary>The current transaction's next change.</summary>
    public async Task<LoggedChange> ReadChangeAsync(CancellationToken cancellationToken)
    {
        if (_changesLeft <= 0)
        {
            throw new InvalidOperationException("the transaction has no change left");
        }

        _changesLeft--;
        var kind = (LoggedChangeKind)await ReadByteAsync(cancellationToken);
        switch (kind)
        {
            case LoggedChangeKind.Truncate:
                var relations = new uint[await ReadCountAsync(cancellationToken)];
                for (var i = 0; i < relations.Length; i++)
                {
                    relations[i] = await ReadU32Async(cancellationToken);
                }

                return new LoggedChange(kind, 0, null, false, null, relations, await ReadByteAsync(cancellationToken));
            case LoggedChangeKind.Insert or LoggedChangeKind.Update or LoggedChangeKind.Delete:
                var relation = await ReadU32Async(cancellationToken);
                var flags = await ReadByteAsync(cancellationToken);
                if ((flags & ~7) != 0)
                {
                    throw Damaged($"has change flags {flags}");
                }

                var old = (flags & 2) != 0 ? await ReadValuesAsync(cancellationToken) : null;
                var @new = (flags & 4) != 0 ? await ReadValuesAsync(cancellationToken) : null;
                return new LoggedChange(kind, relation, old, (flags & 1) != 0, @new, [], 0);
            default:
                throw Damaged($"has change kind {(byte)kind}");
        }
    }

    private async Task<LoggedRelation> ReadRelationAsync(CancellationToken cancellationToken)
    {
        var id = await ReadU32Async(cancellationToken);
        var schema = await ReadStringAsync(cancellationToken);
        var name = await ReadStringAsync(cancellationToken);
        var identity = (char)await ReadByteAsync(cancellationToken);
        var columns = new LoggedColumn[await ReadCountAsync(cancellationToken)];
        for (var i = 0; i < columns.Length; i++)
        {
            var column = await ReadStringAsync(cancellationToken);
            var type = await ReadU32Async(cancellationToken);
            var modifier = (int)await ReadU32Async(cancellationToken);
            var key = await ReadByteAsync(cancellationToken);
            columns[i] = new LoggedColumn(column, type, modifier, key == 1);
        }

        return new LoggedRelation(id, schema, name, identity, columns);
    }

    private async Task<LoggedValue[]> ReadValuesAsync(CancellationToken cancellationToken)
    {
        var values = new LoggedValue[await ReadCountAsync(cancellationToken)];
        for (var i = 0; i < values.Length; i++)
        {
            var kind = (LoggedValueKind)await ReadByteAsync(cancellationToken);
            values[i] = kind switch
            {
                LoggedValueKind.Null or LoggedValueKind.Unchanged => new LoggedValue(kind, null),
                LoggedValueKind.Text => new LoggedValue(kind, await ReadStringAsync(cancellationToken)),
                _ => throw Damaged($"has value kind {(byte)kind}"),
            };
        }

        return values;
    }

    private async Task<int> ReadCountAsync(CancellationToken cancellationToken)
    {
        var count = await ReadVarintAsync(cancellationToken);
        return count <= 65536 ? (int)count : throw Damaged($"declares {count} items where at most 65,536 are allowed");
    }

    private async Task<string> ReadStringAsync(CancellationToken cancellationToken)
    {
        var length = await ReadVarintAsync(cancellationToken);
        if (length > MaxString)
        {
            throw Damaged($"declares a string of {length} bytes");
        }

        var bytes = new byte[length];
        await ReadIntoAsync(bytes, cancellationToken);
        return Encoding.UTF8.GetString(bytes);
    }

    private async Task<ulong> ReadVarintAsync(CancellationToken cancellationToken)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = await ReadByteAsync(cancellationToken);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Damaged("has a varint longer than 64 bits");
    }

    private async Task<uint> ReadU32Async(CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(4, cancellationToken);
        return BinaryPrimitives.ReadUInt32LittleEndian(_scratch);
    }

    private async Task<ulong> ReadU64Async(CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(8, cancellationToken);
        return BinaryPrimitives.ReadUInt64LittleEndian(_scratch);
    }

    private async Task<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(1, cancellationToken);
        return _scratch[0];
    }

    private async Task<int> TryReadByteAsync(CancellationToken cancellationToken) =>
        await _input.ReadAsync(_scratch.AsMemory(0, 1), cancellationToken) == 0 ? -1 : _scratch[0];

    private Task ReadExactlyAsync(int count, CancellationToken cancellationToken) => ReadIntoAsync(_scratch.AsMemory(0, count), cancellationToken);

    private async Task ReadIntoAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _input.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new IntegrityException($"change segment stream '{_name}' ends inside a record", e);
        }
    }

    private IntegrityException Damaged(string what) => new($"change segment stream '{_name}' {what}");

    /// <summary>Closes the stream.</summary>
    public ValueTask DisposeAsync() => _input.DisposeAsync();
}
