namespace Lifeboat.Postgres;

/// <summary>
/// The COPY FROM work of a restore: one item per table, or, for a table big enough to hold the
/// others up, one per part of it (consecutive runs of whole rows), so that several connections
/// load it at once. PostgreSQL parses COPY text on one core per connection: on the benchmark's
/// 354 MB table two parallel COPYs into the same table took 2.7-3.1 s against 4.6-4.7 s for one.
/// Rows of the parts interleave on disk (each connection fills its own pages), which is why the
/// verification after a restore compares an order-independent row digest, and why a table with a
/// BRIN index or a CLUSTER index (<see cref="TableEntry.OrderSensitive"/>) is never split.
/// </summary>
internal static class TableLoadPlan
{
    /// <summary>No table is cut into parts smaller than this by default: below it the saving is a few milliseconds.</summary>
    internal const long DefaultMinimumPartBytes = 32L * 1024 * 1024;

    /// <summary>
    /// How many parts a table of <paramref name="bytes"/> gets when <paramref name="jobs"/> connections
    /// share <paramref name="totalBytes"/>: enough that no part is longer than one connection's fair
    /// share (and none under <paramref name="minimumPartBytes"/>), at most one per connection.
    /// </summary>
    internal static int PartsFor(long bytes, long totalBytes, int jobs, long minimumPartBytes)
    {
        minimumPartBytes = Math.Max(1, minimumPartBytes);
        if (jobs <= 1 || bytes / 2 < minimumPartBytes)
            return 1;
        var share = Math.Max(minimumPartBytes, (totalBytes + jobs - 1) / jobs);
        var parts = Math.Min(jobs, (bytes + share - 1) / share);
        return (int)Math.Max(1, Math.Min(parts, bytes / minimumPartBytes));
    }

    /// <summary>
    /// Where to cut a table of <paramref name="bytes"/> into <paramref name="parts"/> parts: evenly,
    /// except when the parts keep every connection busy and <paramref name="restBytes"/> (the other
    /// tables) is small enough to go with one of them: then one part is shorter by that much, so
    /// all connections finish at about the same time.
    /// </summary>
    internal static IReadOnlyList<long> CutsFor(long bytes, int parts, int jobs, long restBytes, long minimumPartBytes)
    {
        if (parts <= 1)
            return [];
        var size = bytes / parts;
        if (parts == jobs && restBytes > 0)
        {
            var even = (bytes + restBytes) / parts;
            if (even - restBytes >= minimumPartBytes / 2)
                size = even;
        }
        return [.. Enumerable.Range(1, parts - 1).Select(k => k * size)];
    }

    /// <summary>The load items of <paramref name="tables"/>, largest first.</summary>
    public static async Task<List<TableLoad>> CreateAsync(IStreamSource source, IReadOnlyList<TableEntry> tables, int jobs, long minimumPartBytes, CancellationToken cancellationToken)
    {
        var total = tables.Sum(t => t.Bytes);
        var loads = new List<TableLoad>();
        var largestFirst = tables.OrderByDescending(t => t.Bytes).ToList();
        for (var i = 0; i < largestFirst.Count; i++)
        {
            var table = largestFirst[i];
            // rows loaded in parts interleave on disk: not for a table whose indexes rely on their order
            var parts = table.OrderSensitive == false ? PartsFor(table.Bytes, total, jobs, minimumPartBytes) : 1;
            // only the largest table's parts can make room for all the others
            var cuts = CutsFor(table.Bytes, parts, jobs, i == 0 ? total - table.Bytes : 0, minimumPartBytes);
            var split = await source.SplitVerifiedAsync(table.Stream!, table.Bytes, table.Sha256 ?? "", cuts, (byte)'\n', cancellationToken);
            var state = new TableLoad.Counter(split.Count);
            loads.AddRange(split.Select(p => new TableLoad(table, p, state)));
        }

        return [.. loads.OrderByDescending(l => l.Part.Length)];
    }
}

/// <summary>One COPY FROM of a restore: a table, or a part of it.</summary>
internal sealed class TableLoad(TableEntry table, IStreamPart part, TableLoad.Counter remaining)
{
    public TableEntry Table { get; } = table;

    public IStreamPart Part { get; } = part;

    /// <summary>Marks this part loaded; true for the table's last one (then its statistics can be gathered).</summary>
    public bool Finish() => remaining.Decrement() == 0;

    internal sealed class Counter(int count)
    {
        private int _count = count;

        public int Decrement() => Interlocked.Decrement(ref _count);
    }
}
