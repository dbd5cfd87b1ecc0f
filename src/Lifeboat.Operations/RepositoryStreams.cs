using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>The repository as the destination of a database capture: each stream goes into the snapshot being written.</summary>
internal sealed class RepositoryStreamSink(BackupWriter writer) : IStreamSink
{
    public async Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        var stored = await writer.AddStreamAsync(name, content, cancellationToken);
        return new StoredStream(stored.Size, stored.Sha256);
    }
}

/// <summary>A snapshot as the source of a restore: each stream is read, verified, as it is consumed.</summary>
/// <param name="bytesRead">Called with <see cref="BytesRead"/> as it grows (every 64 KiB), on the thread that read.</param>
public sealed class SnapshotStreamSource(BlobReader reader, Snapshot snapshot, Action<long>? bytesRead = null) : IStreamSource
{
    private const long ReportEvery = 64 * 1024;

    private long _bytesRead;

    /// <summary>Bytes handed out so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    private static int ReadAhead => Math.Max(4, Environment.ProcessorCount * 2);

    public Task<Stream> OpenStreamAsync(string name, CancellationToken cancellationToken)
    {
        var restorer = new StreamRestorer(reader, ReadAhead);
        return Task.FromResult<Stream>(new CountingStream(restorer.OpenRead(Find(name), cancellationToken), this, name));
    }

    /// <summary>
    /// Writes the stream's chunks straight to <paramref name="destination"/> (no pipe, no copy). The
    /// restorer authenticates every chunk before writing it and checks the whole stream's size and
    /// SHA-256 against the snapshot before returning, so when the snapshot records the size and SHA-256
    /// the caller expects, that check is the caller's, and a second hash would only cost CPU.
    /// </summary>
    public async Task<bool> CopyVerifiedToAsync(string name, long expectedBytes, string expectedSha256, Stream destination, CancellationToken cancellationToken)
    {
        var stream = Find(name);
        if (stream.Size != expectedBytes || !string.Equals(stream.Sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
            return false;
        var restorer = new StreamRestorer(reader, ReadAhead);
        try
        {
            await restorer.WriteToAsync(stream, new CountingWriteStream(destination, this), cancellationToken);
        }
        catch (IntegrityException e)
        {
            throw Damaged(name, e);
        }

        return true;
    }

    /// <summary>
    /// One part: <see cref="CopyVerifiedToAsync"/>. Several: ranges of whole records cut by the
    /// restorer, each chunk authenticated and checked against its keyed id before it is written
    /// (a whole stream's SHA-256 cannot be computed over parts written in parallel; the chunk ids,
    /// HMAC-SHA-256 under the repository's id key, cover the same bytes).
    /// </summary>
    public async Task<IReadOnlyList<IStreamPart>> SplitVerifiedAsync(string name, long expectedBytes, string expectedSha256, IReadOnlyList<long> cutNear, byte delimiter, CancellationToken cancellationToken)
    {
        var stream = Find(name);
        if (stream.Size != expectedBytes || !string.Equals(stream.Sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new BackupIntegrityException($"The stream {name} does not match the manifest (size or SHA-256): the backup is damaged.");
        if (cutNear.Count == 0)
            return [new WholeStreamPart(this, name, expectedBytes, expectedSha256)];
        var restorer = new StreamRestorer(reader, ReadAhead);
        IReadOnlyList<StreamRange> ranges;
        try
        {
            ranges = await restorer.SplitAsync(stream, cutNear, delimiter, cancellationToken);
        }
        catch (IntegrityException e)
        {
            // the chunks at the cuts are read (and authenticated) while the restore is planned
            throw Damaged(name, e);
        }

        if (ranges.Count == 1)
            return [new WholeStreamPart(this, name, expectedBytes, expectedSha256)];
        return [.. ranges.Select(r => (IStreamPart)new RangePart(this, restorer, r))];
    }

    /// <summary>A damaged blob, said of the stream it belongs to (which names the table).</summary>
    private static BackupIntegrityException Damaged(string name, IntegrityException e) => new($"The stream {name} is damaged: {e.Message}", e);

    private void Add(long count)
    {
        var total = Interlocked.Add(ref _bytesRead, count);
        if (bytesRead is not null && (total - count) / ReportEvery != total / ReportEvery)
            bytesRead(total);
    }

    private SnapshotStream Find(string name) =>
        snapshot.Streams.FirstOrDefault(s => s.Name == name)
            ?? throw new IntegrityException($"the snapshot has no stream '{name}', which its manifest needs");

    private sealed class RangePart(SnapshotStreamSource source, StreamRestorer restorer, StreamRange range) : IStreamPart
    {
        public long Length => range.End - range.Start;

        public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
        {
            try
            {
                await restorer.WriteRangeAsync(range, new CountingWriteStream(destination, source), cancellationToken);
            }
            catch (IntegrityException e)
            {
                throw Damaged(range.Stream.Name, e);
            }
        }
    }

    private sealed class CountingWriteStream(Stream inner, SnapshotStreamSource owner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            owner.Add(count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            owner.Add(buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class CountingStream(Stream inner, SnapshotStreamSource owner, string name) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return Count(inner.Read(buffer, offset, count));
            }
            catch (IntegrityException e)
            {
                throw Damaged(name, e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return Count(await inner.ReadAsync(buffer, cancellationToken));
            }
            catch (IntegrityException e)
            {
                throw Damaged(name, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        private int Count(int read)
        {
            owner.Add(read);
            return read;
        }
    }
}
