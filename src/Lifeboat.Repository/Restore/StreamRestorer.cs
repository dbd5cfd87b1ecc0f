using System.IO.Pipelines;
using System.Security.Cryptography;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Restore;

/// <summary>
/// Writes a snapshot stream's bytes in order, fetching several chunks ahead in parallel. Every
/// chunk is authenticated before any of its bytes are written (AES-GCM, then its keyed id), and a
/// whole stream's SHA-256 and size are compared with the snapshot's at the end.
/// </summary>
/// <param name="progress">Told of the bytes written so far after each chunk, on the writing thread.</param>
public sealed class StreamRestorer(BlobReader reader, int readAhead, IProgress<long>? progress = null)
{
    private long _bytesWritten;

    public async Task WriteToAsync(SnapshotStream stream, Stream output, CancellationToken cancellationToken)
    {
        var chunks = await reader.ReadChunkListAsync(stream, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await ForEachChunkAsync(chunks, 0, chunks.Count, async data =>
        {
            hash.AppendData(data.Span);
            size += data.Length;
            await output.WriteAsync(data, cancellationToken);
            progress?.Report(Interlocked.Add(ref _bytesWritten, data.Length));
        }, cancellationToken);

        await output.FlushAsync(cancellationToken);
        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (size != stream.Size || digest != stream.Sha256)
        {
            throw new IntegrityException(
                $"stream '{stream.Name}' restored to {size} bytes with SHA-256 {digest}, but the snapshot recorded {stream.Size} bytes and {stream.Sha256}");
        }
    }

    /// <summary>
    /// Cuts a stream into consecutive ranges that each end just after a <paramref name="delimiter"/>
    /// byte (or at the stream's end), so that records delimited by it (rows of COPY text) can be
    /// loaded by several writers at once: one cut at the first delimiter at or after the start of
    /// the chunk holding each offset of <paramref name="cutNear"/> (ascending). Reads the chunk list
    /// and, per cut, the chunks up to that delimiter. Ranges that would be empty are left out, so a
    /// stream with few delimiters gives fewer ranges.
    /// </summary>
    public async Task<IReadOnlyList<StreamRange>> SplitAsync(SnapshotStream stream, IReadOnlyList<long> cutNear, byte delimiter, CancellationToken cancellationToken)
    {
        var layout = new ChunkLayout(await reader.ReadChunkListAsync(stream, cancellationToken));
        if (layout.Size != stream.Size)
        {
            throw new IntegrityException($"stream '{stream.Name}' has chunks of {layout.Size} bytes in all, but the snapshot recorded {stream.Size} bytes");
        }

        // the delimiters after every wanted cut are found at once (a few chunks read in parallel); a
        // cut whose chunk starts before the cut placed last is dropped, as is a repeat
        var chunks = cutNear.Where(near => near > 0 && near < layout.Size).Select(layout.ChunkAt).Distinct().ToList();
        var found = await Task.WhenAll(chunks.Select(chunk => FindDelimiterAfterAsync(layout, chunk, delimiter, cancellationToken)));
        var cuts = new List<long> { 0 };
        for (var i = 0; i < chunks.Count; i++)
        {
            if (layout.Start(chunks[i]) > cuts[^1] && found[i] > cuts[^1] && found[i] < layout.Size)
            {
                cuts.Add(found[i]);
            }
        }

        cuts.Add(layout.Size);
        var ranges = new List<StreamRange>(cuts.Count - 1);
        for (var i = 0; i + 1 < cuts.Count; i++)
        {
            ranges.Add(new StreamRange(stream, layout, cuts[i], cuts[i + 1]));
        }

        return ranges;
    }

    /// <summary>
    /// Writes the bytes of one range from <see cref="SplitAsync"/>. Each chunk is authenticated and
    /// checked against its keyed id before a byte of it is written; the ranges of a split cover the
    /// stream exactly, and the chunk list adds up to the snapshot's size. (A whole stream's SHA-256
    /// cannot be computed over ranges written in parallel; the keyed chunk ids cover the same bytes.)
    /// </summary>
    public async Task WriteRangeAsync(StreamRange range, Stream output, CancellationToken cancellationToken)
    {
        var layout = range.Layout;
        if (range.Start == range.End)
        {
            return;
        }

        var first = layout.ChunkAt(range.Start);
        var last = layout.ChunkAt(range.End - 1);
        long written = 0;
        var index = first;
        await ForEachChunkAsync(layout.Chunks, first, last + 1, async data =>
        {
            var chunkStart = layout.Start(index++);
            var from = (int)Math.Max(0, range.Start - chunkStart);
            var to = (int)Math.Min(data.Length, range.End - chunkStart);
            var slice = data[from..to];
            await output.WriteAsync(slice, cancellationToken);
            written += slice.Length;
            progress?.Report(Interlocked.Add(ref _bytesWritten, slice.Length));
        }, cancellationToken);

        await output.FlushAsync(cancellationToken);
        if (written != range.End - range.Start)
        {
            throw new IntegrityException($"stream '{range.Stream.Name}': bytes {range.Start} to {range.End} restored to {written} bytes");
        }
    }

    /// <summary>The stream as a readable <see cref="Stream"/>, produced in the background.</summary>
    public Stream OpenRead(SnapshotStream stream, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 * 1024 * 1024, resumeWriterThreshold: 4 * 1024 * 1024));
        _ = Task.Run(
            async () =>
            {
                var writerStream = pipe.Writer.AsStream();
                try
                {
                    await WriteToAsync(stream, writerStream, cancellationToken);
                    await pipe.Writer.CompleteAsync();
                }
                catch (Exception e)
                {
                    await pipe.Writer.CompleteAsync(e);
                }
            },
            CancellationToken.None);
        return pipe.Reader.AsStream();
    }

    /// <summary>The stream offset just after the first delimiter at or after the start of chunk <paramref name="chunk"/>, or the stream's size.</summary>
    private async Task<long> FindDelimiterAfterAsync(ChunkLayout layout, int chunk, byte delimiter, CancellationToken cancellationToken)
    {
        for (var i = chunk; i < layout.Chunks.Count; i++)
        {
            using var data = await ReadChunkAsync(layout.Chunks[i], cancellationToken);
            var at = data.Memory.Span.IndexOf(delimiter);
            if (at >= 0)
            {
                return layout.Start(i) + at + 1;
            }
        }

        return layout.Size;
    }

    /// <summary>
    /// Hands chunks [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="consume"/> in
    /// order, reading up to readAhead of them in parallel; each buffer goes back to the pool once consumed.
    /// </summary>
    private async Task ForEachChunkAsync(IReadOnlyList<ChunkRef> chunks, int from, int to, Func<ReadOnlyMemory<byte>, ValueTask> consume, CancellationToken cancellationToken)
    {
        var window = new Queue<Task<PooledBlob>>();
        var next = from;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (next < to || window.Count > 0)
            {
                while (next < to && window.Count < readAhead)
                {
                    var chunk = chunks[next++];
                    window.Enqueue(Task.Run(() => ReadChunkAsync(chunk, stop.Token), stop.Token));
                }

                using var data = await window.Dequeue();
                await consume(data.Memory);
            }
        }
        catch
        {
            await stop.CancelAsync();
            foreach (var pending in window)
            {
                try
                {
                    (await pending).Dispose();
                }
                catch (Exception)
                {
                    // cancelled or failed itself: the first failure is the one reported
                }
            }

            throw;
        }
    }

    private async Task<PooledBlob> ReadChunkAsync(ChunkRef chunk, CancellationToken cancellationToken)
    {
        var data = await reader.ReadPooledAsync(chunk.Id, cancellationToken);
        if (data.Length != chunk.Length)
        {
            data.Dispose();
            throw new IntegrityException($"chunk {chunk.Id.Short} has {data.Length} bytes, its tree says {chunk.Length}");
        }

        return data;
    }
}

/// <summary>Bytes [<see cref="Start"/>, <see cref="End"/>) of a snapshot stream, from <see cref="StreamRestorer.SplitAsync"/>.</summary>
public sealed class StreamRange
{
    internal StreamRange(SnapshotStream stream, ChunkLayout layout, long start, long end)
    {
        Stream = stream;
        Layout = layout;
        Start = start;
        End = end;
    }

    public SnapshotStream Stream { get; }

    public long Start { get; }

    public long End { get; }

    internal ChunkLayout Layout { get; }
}

/// <summary>A stream's chunk list with each chunk's offset in the stream.</summary>
internal sealed class ChunkLayout
{
    private readonly long[] _starts;

    public ChunkLayout(IReadOnlyList<ChunkRef> chunks)
    {
        Chunks = chunks;
        _starts = new long[chunks.Count + 1];
        for (var i = 0; i < chunks.Count; i++)
        {
            _starts[i + 1] = _starts[i] + chunks[i].Length;
        }
    }

    public IReadOnlyList<ChunkRef> Chunks { get; }

    public long Size => _starts[^1];

    public long Start(int chunk) => _starts[chunk];

    /// <summary>The chunk holding byte <paramref name="offset"/> (0 &lt;= offset &lt; Size).</summary>
    public int ChunkAt(long offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        // an exact hit is a chunk's first byte; otherwise the chunk that starts before it (empty chunks do not occur)
        return i >= 0 ? Math.Min(i, Chunks.Count - 1) : ~i - 1;
    }
}
