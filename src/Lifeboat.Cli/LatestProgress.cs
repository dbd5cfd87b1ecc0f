namespace Lifeboat.Cli;

/// <summary>
/// The <see cref="IProgress{T}"/> the CLI hands to a use case: it keeps only the newest record, which
/// <see cref="Progress"/>'s twice-a-second line renders. Reports arrive on worker threads; reading
/// <see cref="Value"/> is a single reference read, so no lock is needed.
/// </summary>
internal sealed class LatestProgress<T> : IProgress<T> where T : class
{
    private volatile T? _value;

    /// <summary>The newest record reported, or null before the first.</summary>
    public T? Value => _value;

    public void Report(T value) => _value = value;
}
