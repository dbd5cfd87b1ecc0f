using System.Runtime.CompilerServices;
using System.Text;

namespace Lifeboat.Postgres;

/// <summary>
/// The changes of one transaction while it is decoded: in memory up to a limit, then in a spill file
/// (deleted on dispose), so a transaction of any size needs bounded memory. Remembers where each
/// subtransaction began, so a streamed subtransaction's abort drops it (and, as PostgreSQL's own apply
/// worker does, everything decoded after it: those are its children).
/// </summary>
internal sealed class ChangeBuffer : IDisposable
{
    private readonly long _memoryLimit;
    private readonly string _spillDirectory;
    private readonly List<CapturedChange> _memory = [];
    private readonly List<(uint SubXid, long Index)> _subtransactions = [];
    private readonly Dictionary<long, long> _fileOffsets = [];
    private long _memoryBytes;
    private long _fileCount;
    private string? _path;
    private FileStream? _file;
    private BinaryWriter? _writer;

    public ChangeBuffer(long memoryLimit, string spillDirectory)
    {
        _memoryLimit = memoryLimit;
        _spillDirectory = spillDirectory;
    }

    /// <summary>Changes held.</summary>
    public long Count => _fileCount + _memory.Count;

    /// <summary>Whether the changes went (partly) to disk.</summary>
    public bool Spilled => _file is not null;

    /// <summary>Every table the changes name, as last described before the change.</summary>
    public Dictionary<uint, RelationInfo> Relations { get; } = [];

    /// <summary>Adds a change made by (sub)transaction <paramref name="subXid"/> (null outside a streamed transaction).</summary>
    public void Add(uint? subXid, CapturedChange change)
    {
        if (subXid is { } sub && !_subtransactions.Exists(s => s.SubXid == sub))
        {
            _subtransactions.Add((sub, Count));
        }

        _memory.Add(change);
        _memoryBytes += SizeOf(change);
        if (_memoryBytes > _memoryLimit)
        {
            SpillMemory();
        }
    }

    /// <summary>Drops what subtransaction <paramref name="subXid"/> and those after it decoded (a no-op for one that made no change).</summary>
    public void AbortSubtransaction(uint subXid)
    {
        var at = _subtransactions.FindIndex(s => s.SubXid == subXid);
        if (at < 0)
        {
            return;
        }

        var keep = _subtransactions[at].Index;
        _subtransactions.RemoveRange(at, _subtransactions.Count - at);
        if (keep >= _fileCount)
        {
            _memory.RemoveRange((int)(keep - _fileCount), _memory.Count - (int)(keep - _fileCount));
            _memoryBytes = _memory.Sum(SizeOf);
            return;
        }

        _writer!.Flush();
        _file!.SetLength(_fileOffsets[keep]);
        _file.Position = _file.Length;
        _fileCount = keep;
        _memory.Clear();
        _memoryBytes = 0;
    }

    /// <summary>The changes in order: the spilled ones read back from disk, then those in memory.</summary>
    public async IAsyncEnumerable<CapturedChange> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_file is not null)
        {
            _writer!.Flush();
            await using var read = new FileStream(_path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
            using var reader = new BinaryReader(read, Encoding.UTF8, leaveOpen: true);
            for (var i = 0L; i < _fileCount; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return ChangeCodec.Read(reader);
            }
        }

        foreach (var change in _memory)
        {
            yield return change;
        }
    }

    private void SpillMemory()
    {
        if (_file is null)
        {
            Directory.CreateDirectory(_spillDirectory);
            _path = Path.Combine(_spillDirectory, "lifeboat-spill-" + Guid.NewGuid().ToString("N") + ".bin");
            _file = new FileStream(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose);
            _writer = new BinaryWriter(_file, Encoding.UTF8, leaveOpen: true);
        }

        var starts = _subtransactions.Select(s => s.Index).Where(i => i >= _fileCount).ToHashSet();
        foreach (var change in _memory)
        {
            if (starts.Contains(_fileCount))
            {
                _writer!.Flush();
                _fileOffsets[_fileCount] = _file.Position;
            }

            ChangeCodec.Write(_writer!, change);
            _fileCount++;
        }

        _memory.Clear();
        _memoryBytes = 0;
    }

    /// <summary>A rough size in memory: object headers and the strings' characters.</summary>
    private static long SizeOf(CapturedChange change) =>
        96 + ValuesSize(change.OldValues) + ValuesSize(change.NewValues) + (4L * change.TruncatedRelations.Count);

    private static long ValuesSize(IReadOnlyList<ColumnValue>? values) =>
        values is null ? 0 : values.Sum(v => 24L + (2L * (v.Text?.Length ?? 0)));

    public void Dispose()
    {
        _writer?.Dispose();
        _file?.Dispose();
    }
}

/// <summary>The spill file's encoding of a change (private to one process: nothing else reads it).</summary>
internal static class ChangeCodec
{
    public static void Write(BinaryWriter writer, CapturedChange change)
    {
        writer.Write((byte)change.Kind);
        writer.Write(change.RelationId);
        writer.Write(change.OldIsKey);
        WriteValues(writer, change.OldValues);
        WriteValues(writer, change.NewValues);
        writer.Write7BitEncodedInt(change.TruncatedRelations.Count);
        foreach (var relation in change.TruncatedRelations)
        {
            writer.Write(relation);
        }

        writer.Write(change.TruncateFlags);
    }

    public static CapturedChange Read(BinaryReader reader)
    {
        var kind = (ChangeKind)reader.ReadByte();
        var relation = reader.ReadUInt32();
        var oldIsKey = reader.ReadBoolean();
        var oldValues = ReadValues(reader);
        var newValues = ReadValues(reader);
        var truncated = new uint[reader.Read7BitEncodedInt()];
        for (var i = 0; i < truncated.Length; i++)
        {
            truncated[i] = reader.ReadUInt32();
        }

        return new CapturedChange(kind, relation, oldValues, oldIsKey, newValues, truncated, reader.ReadByte());
    }

    private static void WriteValues(BinaryWriter writer, IReadOnlyList<ColumnValue>? values)
    {
        writer.Write7BitEncodedInt(values is null ? -1 : values.Count);
        foreach (var value in values ?? [])
        {
            writer.Write((byte)value.Kind);
            if (value.Kind == ValueKind.Text)
            {
                writer.Write(value.Text!);
            }
        }
    }

    private static ColumnValue[]? ReadValues(BinaryReader reader)
    {
        var count = reader.Read7BitEncodedInt();
        if (count < 0)
        {
            return null;
        }

        var values = new ColumnValue[count];
        for (var i = 0; i < count; i++)
        {
            var kind = (ValueKind)reader.ReadByte();
            values[i] = kind == ValueKind.Text ? ColumnValue.Of(reader.ReadString()) : new ColumnValue(kind, null);
        }

        return values;
    }
}
