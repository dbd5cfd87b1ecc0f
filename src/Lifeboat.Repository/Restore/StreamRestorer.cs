using System.IO.Pipelines;
using System.Security.Cryptography;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Restore;

/// <summary>
/// Writes a snapshot stream's bytes in order, fetching several chunks ahead in parallel. Every
/// chunk is authenticated before any of its bytes are written, and the whole stream's SHA-256
/// and size are compared with the snapshot's at the end.
/// </summary>
public sealed class StreamRestorer(BlobReader reader, int readAhead)
{
    private long _bytesWritten;

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public async Task WriteToAsync(SnapshotStream stream, Stream output, CancellationToken cancellationToken)
    {
        var chunks = await reader.ReadChunkListAsync(stream, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var window = new Queue<Task<byte[]>>();
        var next = 0;
        long size = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (next < chunks.Count || window.Count > 0)
            {
                while (next < chunks.Count && window.Count < readAhead)
                {
                    var chunk = chunks[next++];
                    window.Enqueue(Task.Run(() => ReadChunkAsync(chunk, stop.Token), stop.Token));
                }

                var data = await window.Dequeue();
                hash.AppendData(data);
                size += data.Length;
                await output.WriteAsync(data, cancellationToken);
                Interlocked.Add(ref _bytesWritten, data.Length);
            }
        }
        catch
        {
            await stop.CancelAsync();
            await Task.WhenAll(window).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }

        await output.FlushAsync(cancellationToken);
        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (size != stream.Size || digest != stream.Sha256)
        {
            throw new IntegrityException(
                $"stream '{stream.Name}' restored to {size} bytes with SHA-256 {digest}, but the snapshot recorded {stream.Size} bytes and {stream.Sha256}");
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

    private async Task<byte[]> ReadChunkAsync(ChunkRef chunk, CancellationToken cancellationToken)
    {
        var data = await reader.ReadAsync(chunk.Id, cancellationToken);
        if (data.Length != chunk.Length)
        {
            throw new IntegrityException($"chunk {chunk.Id.Short} has {data.Length} bytes, its tree says {chunk.Length}");
        }

        return data;
    }
}
