namespace Lifeboat.Postgres;

/// <summary>Thread-safe counters behind <see cref="CaptureProgress"/> reports (at most one per 4 MiB, plus one per object).</summary>
internal sealed class ProgressTracker(IProgress<CaptureProgress>? progress, long bytesEstimated, int tablesTotal)
{
    private const long ReportEvery = 4L * 1024 * 1024;
    private long _bytes;
    private long _lastReported;
    private int _tablesDone;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void AddBytes(int count)
    {
        var total = Interlocked.Add(ref _bytes, count);
        var last = Interlocked.Read(ref _lastReported);
        if (progress is not null && total - last >= ReportEvery && Interlocked.CompareExchange(ref _lastReported, total, last) == last)
            progress.Report(new CaptureProgress(total, bytesEstimated, Volatile.Read(ref _tablesDone), tablesTotal, null));
    }

    public void TableDone(string name)
    {
        var done = Interlocked.Increment(ref _tablesDone);
        progress?.Report(new CaptureProgress(Bytes, bytesEstimated, done, tablesTotal, name));
    }

    public void ObjectDone(string name) => progress?.Report(new CaptureProgress(Bytes, bytesEstimated, Volatile.Read(ref _tablesDone), tablesTotal, name));
}
