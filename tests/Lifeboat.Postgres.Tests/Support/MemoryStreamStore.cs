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

    /// <summary>Parts handed out by <see cref="SplitVerifiedAsync"/>, per stream.</summary>
    public ConcurrentDictionary<string, int> PartsServed { get; } = new(StringComparer.Ordinal);

    /// <summary>Cuts at the first delimiter at or after each offset, as the repository does (at chunk starts); each part checks the whole stream's hash first.</summary>
    public Task<IReadOnlyList<IStreamPart>> SplitVerifiedAsync(string name, long expectedBytes, string expectedSha256, IReadOnlyList<long> cutNear, byte delimiter, CancellationToken cancellationToken)
    {
        var bytes = _streams.TryGetValue(name, out var b) ? b : throw new FileNotFoundException($"no stream {name}");
        var cuts = new List<int> { 0 };
        foreach (var near in cutNear.Where(n => n > 0 && n < bytes.Length))
        {
            var at = Array.IndexOf(bytes, delimiter, (int)Math.Max(near, cuts[^1]));
            if (at >= 0 && at + 1 < bytes.Length && at + 1 > cuts[^1])
                cuts.Add(at + 1);
        }
        cuts.Add(bytes.Length);
        var parts = new List<IStreamPart>();
        for (var i = 0; i + 1 < cuts.Count; i++)
            parts.Add(new SlicePart(bytes, cuts[i], cuts[i + 1], expectedBytes, expectedSha256));
        PartsServed[name] = parts.Count;
        return Task.FromResult<IReadOnlyList<IStreamPart>>(parts);
    }

    private sealed class SlicePart(byte[] bytes, int start, int end, long expectedBytes, string expectedSha256) : IStreamPart
    {
        public long Length => end - start;

        public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
        {
            if (bytes.Length != expectedBytes || Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) != expectedSha256)
                throw new BackupIntegrityException("stream does not match the manifest");
            await destination.WriteAsync(bytes.AsMemory(start, end - start), cancellationToken);
        }
    }

    /// <summary>Replaces a stream's bytes (to simulate corruption).</summary>
    public void Overwrite(string name, byte[] bytes) => _streams[name] = bytes;
}
