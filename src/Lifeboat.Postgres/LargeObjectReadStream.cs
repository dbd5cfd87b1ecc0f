using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>Reads a large object in 1 MiB pieces with <c>lo_get</c> (works on managed hosts; no pg_largeobject access needed).</summary>
internal sealed class LargeObjectReadStream(NpgsqlConnection connection, uint oid) : Stream
{
    private const int ChunkSize = 1024 * 1024;
    private byte[] _chunk = [];
    private int _chunkPos;
    private long _offset;
    private bool _eof;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _offset - (_chunk.Length - _chunkPos);
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("use ReadAsync");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_chunkPos >= _chunk.Length)
        {
            if (_eof)
                return 0;
            await using var command = new NpgsqlCommand("SELECT pg_catalog.lo_get($1, $2, $3)", connection);
            command.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = oid, DataTypeName = "oid" });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _offset });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ChunkSize });
            _chunk = (byte[])(await command.ExecuteScalarAsync(cancellationToken))!;
            _chunkPos = 0;
            _offset += _chunk.Length;
            if (_chunk.Length < ChunkSize)
                _eof = true;
            if (_chunk.Length == 0)
                return 0;
        }
        var n = Math.Min(buffer.Length, _chunk.Length - _chunkPos);
        _chunk.AsMemory(_chunkPos, n).CopyTo(buffer);
        _chunkPos += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
