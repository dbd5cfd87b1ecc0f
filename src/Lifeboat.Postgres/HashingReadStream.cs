using System.Security.Cryptography;

namespace Lifeboat.Postgres;

/// <summary>
/// A read-only pass-through stream that hashes (SHA-256, unless told not to: a capture takes the
/// hash from the sink, which computes it anyway), counts bytes and newlines (= rows of COPY text
/// format, which escapes newlines inside values) and, for table data, the order-independent
/// <see cref="RowDigest"/> of what is read through it.
/// </summary>
internal sealed class HashingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash? _hash;
    private readonly RowDigest? _rows;
    private readonly Action<int>? _onRead;
    private string? _sha256;

    public HashingReadStream(Stream inner, Action<int>? onRead = null, bool sha256 = true, bool rowDigest = false)
    {
        _rows = rowDigest ? new RowDigest() : null;
        _inner = inner;
        _onRead = onRead;
        _hash = sha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    public long BytesRead { get; private set; }

    public long Newlines { get; private set; }

    /// <summary>The order-independent digest of the rows read (see <see cref="RowDigest"/>).</summary>
    public string RowsDigest => (_rows ?? throw new InvalidOperationException("this stream was created without a row digest")).ToHex();

    public bool ReachedEnd { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary>Reads whatever the consumer left unread, so the hash covers the whole stream.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (await ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    /// <summary>The SHA-256 (lower-case hex) of everything read; call once at the end.</summary>
    public string Sha256Hex() => _sha256 ??= Convert.ToHexStringLower(
        (_hash ?? throw new InvalidOperationException("this stream was created without hashing")).GetHashAndReset());

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        Account(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken);
        Account(buffer.Span[..n]);
        return n;
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            ReachedEnd = true;
            return;
        }
        _hash?.AppendData(data);
        BytesRead += data.Length;
        Newlines += data.Count((byte)'\n');
        _rows?.Append(data);
        _onRead?.Invoke(data.Length);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _hash?.Dispose();
        base.Dispose(disposing);
    }
}
