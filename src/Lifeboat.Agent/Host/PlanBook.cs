using Lifeboat.Agent.Journal;

namespace Lifeboat.Agent.Host;

/// <summary>What the agent knows of one kind of job of one plan: its last run, its last success, its runs since start.</summary>
/// <param name="LastRun">The last run that ended (or the one running, with <see cref="RunResult.Running"/>).</param>
/// <param name="LastSuccess">The last run that succeeded.</param>
/// <param name="Runs">Runs that ended since the agent started, by <c>success</c>, <c>failure</c>, <c>cancelled</c>.</param>
internal sealed record KindBook(RunRecord? LastRun, RunRecord? LastSuccess, IReadOnlyDictionary<string, long> Runs);

/// <summary>
/// The agent's memory of its plans' runs, seeded from the journal at start and kept current as runs end, so that
/// <c>/metrics</c>, <c>/healthz</c> and <c>lifeboat plans</c> answer without a query. Keyed by plan and kind; safe from
/// several threads (one lock, short sections).
/// </summary>
internal sealed class PlanBook
{
    private static readonly IReadOnlyDictionary<string, long> NoRuns = new Dictionary<string, long>();
    private readonly object _gate = new();
    private readonly Dictionary<(string Plan, RunKind Kind), KindBook> _kinds = [];
    private readonly Dictionary<string, double> _storedBytes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Plan, string Copy), double> _copyLag = [];

    /// <summary>Seeds the book with the journal's last runs of <paramref name="plan"/> (newest first, as the journal returns them).</summary>
    public void Seed(string plan, RunKind kind, IReadOnlyList<RunRecord> recent, string repository)
    {
        ArgumentNullException.ThrowIfNull(recent);
        lock (_gate)
        {
            var success = recent.FirstOrDefault(r => r.Result == RunResult.Succeeded);
            _kinds[(plan, kind)] = new KindBook(recent.FirstOrDefault(r => r.Result != RunResult.Running), success, NoRuns);
            if (success is not null && success.Figures.TryGetValue(StoredBytesFigure, out var stored) && !_storedBytes.ContainsKey(repository))
            {
                _storedBytes[repository] = stored;
            }
        }
    }

    /// <summary>Takes a run that ended.</summary>
    public void Ended(RunRecord run, string repository)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_gate)
        {
            var book = Of(run.Plan, run.Kind);
            var runs = new Dictionary<string, long>(book.Runs, StringComparer.Ordinal);
            var status = run.Result switch { RunResult.Succeeded => "success", RunResult.Cancelled => "cancelled", _ => "failure" };
            runs[status] = runs.GetValueOrDefault(status) + 1;
            _kinds[(run.Plan, run.Kind)] = new KindBook(run, run.Result == RunResult.Succeeded ? run : book.LastSuccess, runs);
            if (run.Result == RunResult.Succeeded && run.Figures.TryGetValue(StoredBytesFigure, out var stored))
            {
                _storedBytes[repository] = stored;
            }
        }
    }

    /// <summary>Takes a copy's lag behind the primary after a backup.</summary>
    public void CopyLag(string plan, string copy, double seconds)
    {
        lock (_gate)
        {
            _copyLag[(plan, copy)] = seconds;
        }
    }

    /// <summary>What is known of the <paramref name="kind"/> jobs of <paramref name="plan"/>.</summary>
    public KindBook Of(string plan, RunKind kind)
    {
        lock (_gate)
        {
            return _kinds.TryGetValue((plan, kind), out var book) ? book : new KindBook(null, null, NoRuns);
        }
    }

    /// <summary>The copy lags of <paramref name="plan"/>, by copy repository.</summary>
    public IReadOnlyDictionary<string, double> CopyLags(string plan)
    {
        lock (_gate)
        {
            return _copyLag.Where(c => c.Key.Plan == plan).ToDictionary(c => c.Key.Copy, c => c.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>The bytes <paramref name="repository"/> was last seen to hold, if a run reported it.</summary>
    public double? StoredBytes(string repository)
    {
        lock (_gate)
        {
            return _storedBytes.TryGetValue(repository, out var bytes) ? bytes : null;
        }
    }

    /// <summary>The figure name of a repository's stored bytes (reported by the job bodies).</summary>
    public const string StoredBytesFigure = "stored_bytes";
}
