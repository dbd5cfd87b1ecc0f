using System.Text.Json.Serialization;
using Lifeboat.Agent.Host;

namespace Lifeboat.Agent.Http;

/// <summary>Every plan of the plan file as <c>lifeboat plans</c> and <c>GET /api/plans</c> show it.</summary>
/// <param name="File">The plan file.</param>
/// <param name="At">When the view was made.</param>
/// <param name="Serving">Whether an agent is serving the plans (else the view comes from the journal alone).</param>
/// <param name="Plans">One entry per plan, in file order.</param>
public sealed record PlansView(string File, DateTimeOffset At, bool Serving, IReadOnlyList<PlanView> Plans);

/// <summary>One plan: its jobs and its alerts that are not resolved.</summary>
/// <param name="Overdue">Whether its backup is overdue now; <paramref name="Freshness"/> says why (or when it is due).</param>
public sealed record PlanView(
    string Plan, string Source, string Repository, IReadOnlyList<JobView> Jobs, IReadOnlyList<AlertView> Alerts, bool Overdue, string Freshness);

/// <summary>One scheduled job of a plan (backup, check, drill, prune), or the copies its backups make.</summary>
/// <param name="Kind">backup, copy, check, drill or prune.</param>
/// <param name="Schedule">As the plan file writes it; null for copies (they follow each backup).</param>
/// <param name="LastRun">The last run that ended.</param>
/// <param name="LastSuccess">When the last successful run ended.</param>
/// <param name="NextRun">When the next run starts (its slot plus the plan's jitter); null for copies.</param>
/// <param name="Now">What it is doing now, when serving: <c>running since ...</c>, <c>waiting for ...</c>, and its latest status line.</param>
public sealed record JobView(string Kind, string? Schedule, RunView? LastRun, DateTimeOffset? LastSuccess, DateTimeOffset? NextRun, string? Now);

/// <summary>One run of the journal.</summary>
public sealed record RunView(
    long Id, string Kind, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string Result, string? Error, IReadOnlyDictionary<string, double> Figures,
    string? Origin = null);

/// <summary>One alert that is not resolved.</summary>
public sealed record AlertView(string Condition, string Status, DateTimeOffset Since, int Reminders, string? Detail);

/// <summary>The body of <c>POST /api/plans/NAME/run</c>.</summary>
/// <param name="Tags">Tags added to the plan's own.</param>
/// <param name="HoldUntil">A hold on the new snapshot until then (<see cref="DateTimeOffset.MaxValue"/>: forever).</param>
/// <param name="Reason">The hold's reason.</param>
/// <param name="Wait">Answer when the run ended, not when it was queued.</param>
public sealed record RunRequest(IReadOnlyList<string>? Tags, DateTimeOffset? HoldUntil, string? Reason, bool Wait);

/// <summary>The answer of <c>POST /api/plans/NAME/run</c> and of <c>lifeboat run --json</c>.</summary>
/// <param name="Result">queued, succeeded, failed or cancelled.</param>
/// <param name="Through">agent (the serving agent ran it) or foreground (this process did).</param>
public sealed record RunAnswer(string Plan, string Result, string Through, RunView? Run, string? Summary, IReadOnlyList<string> Warnings);

/// <summary>An error answer of the API.</summary>
public sealed record ApiError(string Error);

/// <summary>Build-time JSON metadata of the agent's API and log lines (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PlansView))]
[JsonSerializable(typeof(RunRequest))]
[JsonSerializable(typeof(RunAnswer))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(AgentLogLine))]
[JsonSerializable(typeof(AgentStateFile))]
public sealed partial class AgentJson : JsonSerializerContext
{
    /// <summary>
    /// The metadata with the encoder of the API and the logs: quotes and non-Latin names stay readable (not
    /// <c>\u0027</c>); still valid JSON, escaped where JSON requires it (served as <c>application/json</c>, never in HTML).
    /// </summary>
    public static AgentJson Readable { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
