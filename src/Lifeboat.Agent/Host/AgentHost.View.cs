using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Metrics;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Host;

/// <summary>What the endpoint serves: metrics, health and the API, from the agent's memory (no query per request).</summary>
internal sealed partial class AgentHost
{
    private AgentView? _view;

    private AgentView View => _view ??= new AgentView(this);

    /// <summary>The agent as <see cref="AgentEndpoint"/> sees it.</summary>
    private sealed class AgentView(AgentHost host) : IAgentView, IAgentApi
    {
        public bool Ready { get; set; }

        public string Token { get; } = AgentStateFile.NewToken();

        public MetricsSnapshot Metrics()
        {
            var file = host._file;
            var now = host._time.GetUtcNow();
            var active = host._alerts.Active;
            var plans = file.Plans.Select(plan => Figures(plan, file, active, now)).ToArray();
            var repositories = file.Repositories.Select(r => new RepositoryFigures(r.Name, (long?)host._book.StoredBytes(r.Name), r.QuotaBytes)).ToArray();
            return new MetricsSnapshot(host._options.Version, plans, repositories);
        }

        public HealthReport Health()
        {
            var file = host._file;
            var problems = new List<string>();
            var freshness = host._freshness;
            foreach (var plan in file.Plans)
            {
                if (freshness.TryGetValue(plan.Name, out var verdict) && verdict.Overdue)
                {
                    problems.Add($"{plan.Name}: overdue: {verdict.Reason}");
                }

                foreach (var alert in host._alerts.Active.Where(a => a.Plan == plan.Name && a.Condition != AlertCondition.Overdue).OrderBy(a => a.Condition))
                {
                    problems.Add($"{plan.Name}: {alert.Condition.Name().Replace('_', ' ')}: {alert.Detail}");
                }
            }

            return new HealthReport(problems, file.Plans.Count);
        }

        public PlansView Plans() => PlansReport.Build(host._file, host._book, host._alerts.Active, host._startedAt, host._time.GetUtcNow(), Now);

        public Task<RunAnswer> RunAsync(string plan, RunRequest request, CancellationToken cancellationToken) => host.RunNowAsync(plan, request, cancellationToken);

        /// <summary>What the job of that plan and kind does now: running since when (and its latest status), or waiting for what.</summary>
        private string? Now(string plan, RunKind kind)
        {
            var prefix = $"{plan}/{PlansReport.Name(kind)}";
            var status = host._queue.Status().FirstOrDefault(s => s.Key == prefix || s.Key.StartsWith(prefix + "/", StringComparison.Ordinal));
            if (status is null)
            {
                return null;
            }

            if (!status.Running)
            {
                return $"waiting since {UtcTime.Format(status.Since)} for {status.WaitingFor}";
            }

            return host._executor.Status(plan, kind) is { } line
                ? $"running since {UtcTime.Format(status.Since)}: {line}"
                : $"running since {UtcTime.Format(status.Since)}";
        }

        private PlanFigures Figures(PlanSettings plan, PlanFile.PlanFile file, IReadOnlyList<AlertState> active, DateTimeOffset now)
        {
            var book = host._book;
            var kinds = PlansReport.Kinds(plan).Select(kind =>
            {
                var known = book.Of(plan.Name, kind);
                return new KindFigures(PlansReport.Name(kind))
                {
                    LastSuccess = known.LastSuccess?.EndedAt,
                    NextRun = PlansReport.NextRun(plan, kind, now),
                    LastRunDurationSeconds = known.LastRun?.Figures.TryGetValue(Alerts.Figures.DurationSeconds, out var d) == true ? d : null,
                    Runs = known.Runs,
                };
            }).ToArray();
            var backup = book.Of(plan.Name, RunKind.Backup).LastSuccess;
            var drill = book.Of(plan.Name, RunKind.Drill).LastRun;
            return new PlanFigures(plan.Name, plan.Source, plan.Repository)
            {
                Kinds = kinds,
                BackupSizeBytes = Figure(backup, Alerts.Figures.SizeBytes),
                BackupAddedBytes = Figure(backup, Alerts.Figures.AddedBytes),
                DrillRtoSeconds = drill?.Figures.TryGetValue("rto_seconds", out var rto) == true ? rto : null,
                CopyLagSeconds = book.CopyLags(plan.Name),
                Alerts = Watched(plan, file).ToDictionary(c => c.Name(), c => active.Any(a => a.Plan == plan.Name && a.Condition == c), StringComparer.Ordinal),
            };
        }

        private static long? Figure(RunRecord? run, string name) => run?.Figures.TryGetValue(name, out var value) == true ? (long)value : null;

        /// <summary>The conditions the agent watches for <paramref name="plan"/>: those its jobs and settings can raise.</summary>
        private static IEnumerable<AlertCondition> Watched(PlanSettings plan, PlanFile.PlanFile file)
        {
            yield return AlertCondition.BackupFailed;
            yield return AlertCondition.Overdue;
            yield return AlertCondition.Anomaly;
            yield return AlertCondition.StartedLate;
            if (plan.Copies.Count > 0)
            {
                yield return AlertCondition.CopyFailed;
            }

            if (plan.Check is not null || plan.Prune is not null)
            {
                yield return AlertCondition.CheckFailed;
            }

            if (plan.Drill is not null)
            {
                yield return AlertCondition.DrillFailed;
                yield return AlertCondition.ObjectiveMissed;
            }

            if (file.Repository(plan.Repository).QuotaBytes is not null)
            {
                yield return AlertCondition.StorageAboveQuota;
            }
        }
    }
}
