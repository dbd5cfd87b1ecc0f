namespace Lifeboat.Agent.Metrics;

/// <summary>What the agent knows of one plan's jobs of one kind (backup, copy, check, drill, prune).</summary>
internal sealed record KindFigures(string Kind)
{
    /// <summary>When the last successful run of this kind ended.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>When the next run is due (its slot plus the plan's jitter).</summary>
    public DateTimeOffset? NextRun { get; init; }

    /// <summary>How long the last run took, successful or not.</summary>
    public double? LastRunDurationSeconds { get; init; }

    /// <summary>Runs since the agent started, by result (<c>success</c>, <c>failure</c>, <c>cancelled</c>).</summary>
    public IReadOnlyDictionary<string, long> Runs { get; init; } = new Dictionary<string, long>();
}

/// <summary>What the agent knows of one plan, for <c>/metrics</c>.</summary>
internal sealed record PlanFigures(string Plan, string Source, string Repository)
{
    /// <summary>Per kind of job.</summary>
    public IReadOnlyList<KindFigures> Kinds { get; init; } = [];

    /// <summary>The size the last backup read from the source.</summary>
    public long? BackupSizeBytes { get; init; }

    /// <summary>What the last backup added to the repository (after deduplication and compression).</summary>
    public long? BackupAddedBytes { get; init; }

    /// <summary>The recovery time the last drill measured.</summary>
    public double? DrillRtoSeconds { get; init; }

    /// <summary>Per copy repository: how far its newest copied snapshot is behind the primary's newest.</summary>
    public IReadOnlyDictionary<string, double> CopyLagSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>Every alert condition the agent watches for this plan, and whether it fires now.</summary>
    public IReadOnlyDictionary<string, bool> Alerts { get; init; } = new Dictionary<string, bool>();
}

/// <summary>What the agent knows of one repository.</summary>
internal sealed record RepositoryFigures(string Repository, long? StoredBytes, long? QuotaBytes);

/// <summary>The agent's state at one moment, as <c>/metrics</c> exports it.</summary>
internal sealed record MetricsSnapshot(string Version, IReadOnlyList<PlanFigures> Plans, IReadOnlyList<RepositoryFigures> Repositories);

/// <summary>
/// Renders <see cref="MetricsSnapshot"/> as the metrics of docs/agent.md: base units, <c>_timestamp_seconds</c> for
/// times, <c>_total</c> for counters, labels plan, source, repository and kind (never ids or times). A value the agent
/// does not know yet (no backup so far) is left out rather than exported as 0, so an alert rule on it cannot fire on
/// a made-up figure.
/// </summary>
internal static class AgentMetrics
{
    /// <summary>The exposition text.</summary>
    public static string Render(MetricsSnapshot snapshot)
    {
        var text = new PrometheusText();
        text.Family("lifeboat_build_info", MetricType.Gauge, "The running agent's version (always 1)").Sample(1, ("version", snapshot.Version));
        PerKind(text, snapshot.Plans);
        PerPlan(text, snapshot.Plans);
        text.Family("lifeboat_repository_stored_bytes", MetricType.Gauge, "Bytes the repository holds in its storage");
        foreach (var r in snapshot.Repositories.Where(r => r.StoredBytes is not null))
        {
            text.Sample(r.StoredBytes!.Value, ("repository", r.Repository));
        }

        text.Family("lifeboat_repository_quota_bytes", MetricType.Gauge, "The storage quota configured for the repository");
        foreach (var r in snapshot.Repositories.Where(r => r.QuotaBytes is not null))
        {
            text.Sample(r.QuotaBytes!.Value, ("repository", r.Repository));
        }

        return text.ToString();
    }

    private static void PerKind(PrometheusText text, IReadOnlyList<PlanFigures> plans)
    {
        var kinds = plans.SelectMany(p => p.Kinds.Select(k => (Plan: p, Kind: k))).ToList();
        Gauge(text, "lifeboat_last_success_timestamp_seconds", "When the plan's last successful run of this kind ended (Unix time)",
            kinds, KindLabels, x => x.Kind.LastSuccess?.ToUnixTimeMilliseconds() / 1000.0);
        Gauge(text, "lifeboat_next_run_timestamp_seconds", "When the plan's next run of this kind is due (Unix time)",
            kinds, KindLabels, x => x.Kind.NextRun?.ToUnixTimeMilliseconds() / 1000.0);
        Gauge(text, "lifeboat_last_run_duration_seconds", "How long the plan's last run of this kind took",
            kinds, KindLabels, x => x.Kind.LastRunDurationSeconds);
        text.Family("lifeboat_runs_total", MetricType.Counter, "Runs since the agent started, by kind and result");
        foreach (var (plan, kind) in kinds)
        {
            foreach (var (status, count) in kind.Runs.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                text.Sample(count, [.. Labels(plan), ("kind", kind.Kind), ("status", status)]);
            }
        }
    }

    private static void PerPlan(PrometheusText text, IReadOnlyList<PlanFigures> plans)
    {
        Gauge(text, "lifeboat_backup_size_bytes", "Bytes the plan's last backup read from its source", plans, Labels, p => p.BackupSizeBytes);
        Gauge(text, "lifeboat_backup_added_bytes", "Bytes the plan's last backup added to the repository", plans, Labels, p => p.BackupAddedBytes);
        Gauge(text, "lifeboat_drill_rto_seconds", "The recovery time the plan's last restore drill measured", plans, Labels, p => p.DrillRtoSeconds);
        text.Family("lifeboat_copy_lag_seconds", MetricType.Gauge, "How far the newest snapshot in a copy repository is behind the primary's");
        foreach (var plan in plans)
        {
            foreach (var (copy, lag) in plan.CopyLagSeconds.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                text.Sample(lag, [("plan", plan.Plan), ("source", plan.Source), ("repository", copy)]); // the copy's repository
            }
        }

        text.Family("lifeboat_alerts_firing", MetricType.Gauge, "1 while the plan's alert of this condition fires, else 0");
        foreach (var plan in plans)
        {
            foreach (var (condition, firing) in plan.Alerts.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                text.Sample(firing ? 1 : 0, [.. Labels(plan), ("condition", condition)]);
            }
        }
    }

    private static void Gauge<T>(
        PrometheusText text, string name, string help, IEnumerable<T> items, Func<T, (string, string)[]> labels, Func<T, double?> value)
    {
        text.Family(name, MetricType.Gauge, help);
        foreach (var item in items)
        {
            if (value(item) is { } v)
            {
                text.Sample(v, labels(item));
            }
        }
    }

    private static (string, string)[] KindLabels((PlanFigures Plan, KindFigures Kind) x) => [.. Labels(x.Plan), ("kind", x.Kind.Kind)];

    private static (string, string)[] Labels(PlanFigures plan) =>
        [("plan", plan.Plan), ("source", plan.Source), ("repository", plan.Repository)];
}
