namespace Lifeboat.Agent.Alerts;

/// <summary>The verdict of <see cref="OutlierRule.Evaluate"/>: whether the value is an outlier, and why in words.</summary>
internal sealed record OutlierVerdict(bool IsOutlier, string? Reason)
{
    /// <summary>Within bounds (or too little history to say).</summary>
    public static readonly OutlierVerdict Normal = new(false, null);
}

/// <summary>
/// Whether a backup's figure (its size, its duration) is an outlier against the recent good runs of the same plan. Two
/// tests, either is enough: the robust z-score <c>|x − median| / (1.4826 × MAD)</c> above <see cref="Threshold"/> once
/// there are at least <see cref="MinimumHistory"/> good runs (median and MAD are not moved by a few odd runs, as a
/// mean and a standard deviation are); and, from the first good run on, the floor "smaller than half of the last one",
/// the classic silent failure of a dump that wrote nothing. The spread is never taken below
/// <see cref="MinimumRelativeSpread"/> of the median, so runs of identical size do not make every small change an outlier.
/// </summary>
/// <param name="Threshold">The robust z-score above which a value is an outlier (3.5, after Iglewicz and Hoaglin).</param>
/// <param name="MinimumHistory">How many good runs the median and MAD test needs.</param>
/// <param name="MinimumRelativeSpread">The least spread, as a fraction of the median.</param>
/// <param name="HalfOfLastFloor">Whether the "smaller than half of the last one" floor applies (sizes: yes).</param>
internal sealed record OutlierRule(double Threshold = 3.5, int MinimumHistory = 5, double MinimumRelativeSpread = 0.05, bool HalfOfLastFloor = true)
{
    /// <summary>The rule for backup sizes: both tests.</summary>
    public static readonly OutlierRule Size = new();

    /// <summary>The rule for durations: median and MAD only (a fast run is not a sign of a failure by itself).</summary>
    public static readonly OutlierRule Duration = new(HalfOfLastFloor: false);

    /// <summary>
    /// Evaluates <paramref name="value"/> against <paramref name="recentGood"/>, the figures of the plan's recent
    /// successful runs, oldest first (the last one is the run before this one).
    /// </summary>
    public OutlierVerdict Evaluate(IReadOnlyList<double> recentGood, double value)
    {
        ArgumentNullException.ThrowIfNull(recentGood);
        if (recentGood.Count == 0)
        {
            return OutlierVerdict.Normal;
        }

        var last = recentGood[^1];
        if (HalfOfLastFloor && value < last / 2)
        {
            return new OutlierVerdict(true, $"{value:0.###} is less than half of the last good run's {last:0.###}");
        }

        if (recentGood.Count < MinimumHistory)
        {
            return OutlierVerdict.Normal;
        }

        var median = Median(recentGood);
        var mad = Median(recentGood.Select(x => Math.Abs(x - median)).ToArray());
        var spread = Math.Max(1.4826 * mad, MinimumRelativeSpread * Math.Abs(median));
        if (spread == 0)
        {
            return value == median ? OutlierVerdict.Normal : new OutlierVerdict(true, $"{value:0.###} differs from every recent good run's {median:0.###}");
        }

        var z = Math.Abs(value - median) / spread;
        return z > Threshold
            ? new OutlierVerdict(true, $"{value:0.###} is {z:0.#} deviations from the median {median:0.###} of the last {recentGood.Count} good runs")
            : OutlierVerdict.Normal;
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the two middle ones for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("The median of no values is undefined.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
