using System.Collections.Concurrent;

namespace Lifeboat.Operations.Tests.Support;

/// <summary>An <see cref="IProgress{T}"/> that keeps every record reported, in the order they arrived.</summary>
public sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly ConcurrentQueue<T> _reports = new();

    public IReadOnlyList<T> Reports => [.. _reports];

    public void Report(T value) => _reports.Enqueue(value);
}
