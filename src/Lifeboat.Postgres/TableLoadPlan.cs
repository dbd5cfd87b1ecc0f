namespace Lifeboat.Postgres;

/// <summary>
/// The COPY FROM work of a restore: one item per table, or, for a table big enough to hold the
/// others up, one per part of it (consecutive runs of whole rows), so that several connections
/// load it at once. PostgreSQL parses COPY text on one core per connection, so parallel COPYs into
/// the same table finish sooner (measured: bench/README.md, "Figures behind choices in the code").
/// Rows of the parts interleave on disk (each connection fills its own pages), which is why the
/// verification after a restore compares an order-independent row digest, and why a table with a
/// BRIN index or a CLUSTER index (<see cref="TableEntry.OrderSensitive"/>) is never split.
/// </summary>
internal static class TableLoadPlan
{
    /// <summary>No table is cut into parts smaller than this by default: below it the saving is a few milliseconds.</summary>
    internal const long DefaultMinimumPartBytes = 32L * 1024 * 1024;

    /// <summary>
    /// How many connections share the load of a table of <paramref name="bytes"/> when <paramref name="jobs"/>
    /// connections share <paramref name="totalBytes"/>: enough that none loads more of it than its fair
    /// share (and none under <paramref name="minimumPartBytes"/>), at most all of them (see <see cref="CutsFor"/>).
    /// </summary>
    internal static int WaysFor(long bytes, long totalBytes, int jobs, long minimumPartBytes)
    {
        minimumPartBytes = Math.Max(1, minimumPartBytes);
        if (jobs <= 1 || bytes / 2 < minimumPartBytes)
            return 1;
        var share = Math.Max(minimumPartBytes, (totalBytes + jobs - 1) / jobs);
        var parts = Math.Min(jobs, (bytes + share - 1) / share);
        return (int)Math.Max(1, Math.Min(parts, bytes / minimumPartBytes));
    }

    /// <summary>
    /// Where to cut a table of <paramref name="bytes"/> that <paramref name="ways"/> connections share:
    /// seven eighths of it in <paramref name="ways"/> even parts, one per connection, and the last
    /// eighth in up to 3 × <paramref name="ways"/> parts, each a quarter shorter than the one before
    /// (fewer when the last would be under 4 MiB, or under an eighth of <paramref name="minimumPartBytes"/> when that is less), which the
    /// connections take as they finish, beside the other tables. Equal parts do not finish together
    /// (connections do not progress at the same rate), and the table's ANALYZE waits for the later
    /// one (bench/README.md, "Figures behind choices in the code").
    /// </summary>
    internal static IReadOnlyList<long> CutsFor(long bytes, int ways, long minimumPartBytes)
    {
        if (ways <= 1)
            return [];
        var smallest = Math.Max(1, Math.Min(TailPartBytes, minimumPartBytes / 8));
        var tail = bytes / 8;
        var weights = new List<double>();
        for (var count = 3 * ways; count > 0 && weights.Count == 0; count--)
        {
            var candidate = Enumerable.Range(0, count).Select(i => Math.Pow(0.75, i)).ToList();
            if (tail * candidate[^1] / candidate.Sum() >= smallest)
                weights = candidate;
        }
        var head = weights.Count == 0 ? bytes : bytes - tail;
        var cuts = Enumerable.Range(1, ways).Select(k => head * k / ways).ToList();
        var at = (double)head;
        foreach (var weight in weights.SkipLast(1))
        {
            at += tail * weight / weights.Sum();
            cuts.Add((long)at);
        }
        return cuts.Where(c => c < bytes).ToList();
    }

    private const long TailPartBytes = 4L * 1024 * 1024;

    /// <summary>The load items of <paramref name="tables"/>, largest first.</summary>
    public static async Task<List<TableLoad>> CreateAsync(IStreamSource source, IReadOnlyList<TableEntry> tables, int jobs, long minimumPartBytes, CancellationToken cancellationToken)
    {
        var total = tables.Sum(t => t.Bytes);
        var loads = new List<TableLoad>();
        var largestFirst = tables.OrderByDescending(t => t.Bytes).ToList();
        foreach (var table in largestFirst)
        {
            // rows loaded in parts interleave on disk: not for a table whose indexes rely on their order
            var ways = table.OrderSensitive == false ? WaysFor(table.Bytes, total, jobs, minimumPartBytes) : 1;
            var cuts = CutsFor(table.Bytes, ways, minimumPartBytes);
            IReadOnlyList<IStreamPart> split;
            try
            {
                split = await source.SplitVerifiedAsync(table.Stream!, table.Bytes, table.Sha256 ?? "", cuts, (byte)'\n', cancellationToken);
            }
            catch (BackupIntegrityException ex)
            {
                throw new BackupIntegrityException($"{table.QualifiedName}: {ex.Message}", ex);
            }

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
