using System.Collections.Concurrent;

namespace Lifeboat.Postgres.Tests.Support;

/// <summary>An in-memory <see cref="IStreamSink"/> and <see cref="IStreamSource"/> for tests.</summary>
public sealed class MemoryStreamStore : IStreamSink, IStreamSource
{
    private readonly ConcurrentDictionary<string, byte[]> _streams = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, byte[]> Streams => _streams;

    public int ConcurrentWriters { get; private set; }

    private int _active;

    public async Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        var active = Interlocked.Increment(ref _active);
        lock (_streams)
            ConcurrentWriters = Math.Max(ConcurrentWriters, active);
        try
        {
            using var buffer = new MemoryStream();
            // small reads, like a chunker would do
            var chunk = new byte[7919];
            int n;
            while ((n = await content.ReadAsync(chunk, cancellationToken)) > 0)
                buffer.Write(chunk, 0, n);
            var bytes = buffer.ToArray();
            if (!_streams.TryAdd(name, bytes))
                throw new InvalidOperationException($"stream {name} written twice");
            return new StoredStream(bytes.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    public Task<Stream> OpenStreamAsync(string name, CancellationToken cancellationToken)
        => _streams.TryGetValue(name, out var bytes)
            ? Task.FromResult<Stream>(new MemoryStream(bytes, writable: false))
            : throw new FileNotFoundException($"no stream {name}");

    /// <summary>Replaces a stream's bytes (to simulate corruption).</summary>
    public void Overwrite(string name, byte[] bytes) => _streams[name] = bytes;
}
