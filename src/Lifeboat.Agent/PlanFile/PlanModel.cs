using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.PlanFile;

// The validated plan file (docs/agent.md): immutable records, in file order. Secrets are EnvReference values
// (a variable's name) or file paths, never the secret itself.

/// <summary>A checked plan file: the agent's settings, repositories, sources, plans and notification channels.</summary>
public sealed record PlanFile(
    string Path,
    AgentSettings Agent,
    IReadOnlyList<RepositorySettings> Repositories,
    IReadOnlyList<SourceSettings> Sources,
    IReadOnlyList<PlanSettings> Plans,
    IReadOnlyList<ChannelSettings> Channels)
{
    /// <summary>The repository named <paramref name="name"/> (a plan's names are checked when the file is read).</summary>
    public RepositorySettings Repository(string name) => Repositories.First(r => r.Name == name);

    /// <summary>The source named <paramref name="name"/>.</summary>
    public SourceSettings Source(string name) => Sources.First(s => s.Name == name);
}

/// <summary><c>agent:</c>, every key optional.</summary>
public sealed record AgentSettings(string Listen, string? Journal, int Concurrency, TimeSpan RemindEvery)
{
    /// <summary>The settings of a file without an <c>agent:</c> section.</summary>
    public static readonly AgentSettings Default = new("127.0.0.1:8420", null, 2, TimeSpan.FromHours(4));
}

/// <summary>One entry of <c>repositories:</c>; the password is in a file or an environment variable.</summary>
public sealed record RepositorySettings(string Name, string Url, string? PasswordFile, EnvReference? Password, long? QuotaBytes, int StorageAlertPercent);

/// <summary>One entry of <c>sources:</c>: a database and the options of its backups (those of <c>lifeboat backup</c>).</summary>
public sealed record SourceSettings(
    string Name,
    string Db,
    string? PasswordFile,
    int? Jobs,
    string? Profile,
    IReadOnlyList<string> Schemas,
    IReadOnlyList<string> ExcludeSchemas,
    IReadOnlyList<string> Tables,
    IReadOnlyList<string> ExcludeTables,
    IReadOnlyList<string> ExcludeTableData,
    bool Globals,
    bool PhysicalOrder);

/// <summary>One entry of <c>plans:</c>: what is backed up where, when, and what follows.</summary>
public sealed record PlanSettings(
    string Name,
    string Source,
    string Repository,
    IReadOnlyList<string> Copies,
    IReadOnlyList<string> Notify,
    BackupJob Backup,
    RetentionSettings? Retention,
    CheckJob? Check,
    DrillJob? Drill,
    PruneJob? Prune)
{
    /// <summary>How far a copy may be behind the primary before the <c>copy_lag</c> alert; null: from the backup's schedule.</summary>
    public TimeSpan? CopyMaxLag { get; init; }

    /// <summary>Every scheduled job of the plan, with its kind (backup, check, drill, prune), in that order.</summary>
    public IEnumerable<(string Kind, JobSchedule Schedule)> Jobs()
    {
        yield return ("backup", Backup.Schedule);
        if (Check is not null)
        {
            yield return ("check", Check.Schedule);
        }

        if (Drill is not null)
        {
            yield return ("drill", Drill.Schedule);
        }

        if (Prune is not null)
        {
            yield return ("prune", Prune.Schedule);
        }
    }
}

/// <summary>A plan's backup: its schedule, tags, and the age after which it counts as overdue (null: from the schedule).</summary>
public sealed record BackupJob(JobSchedule Schedule, IReadOnlyList<string> Tags, TimeSpan? MaxAge);

/// <summary>The retention policy applied after each backup (the <c>forget --keep-*</c> options); null counts are not given.</summary>
public sealed record RetentionSettings(int? KeepLast, int? KeepHourly, int? KeepDaily, int? KeepWeekly, int? KeepMonthly, int? KeepYearly);

/// <summary>A plan's check: <c>ReadDataSubset</c> N reads a rotating 1/N of the packs, so every pack is read within N runs.</summary>
public sealed record CheckJob(JobSchedule Schedule, int? ReadDataSubset);

/// <summary>A plan's restore drill: the scratch server, the checks file and the objectives.</summary>
public sealed record DrillJob(JobSchedule Schedule, string Scratch, string? Checks, TimeSpan? Rto, TimeSpan? Rpo);

/// <summary>A plan's prune.</summary>
public sealed record PruneJob(JobSchedule Schedule);

/// <summary>One entry of <c>channels:</c>; <c>Events</c> empty means every event.</summary>
public abstract record ChannelSettings(string Name, IReadOnlyList<string> Events)
{
    /// <summary>The events a channel may subscribe to.</summary>
    public static readonly IReadOnlyList<string> KnownEvents =
        ["failure", "overdue", "recovered", "objective", "copy_lag", "storage", "anomaly", "late", "reminder"];

    /// <summary>The <c>type:</c> of the channel as written in the file.</summary>
    public abstract string Type { get; }
}

/// <summary><c>type: email</c>: SMTP (<c>Smtp</c> is host:port), <c>Tls</c> one of starttls, tls, none.</summary>
public sealed record EmailChannelSettings(
    string Name, IReadOnlyList<string> Events, string Smtp, string Tls, string? Username, EnvReference? Password, string From, IReadOnlyList<string> To)
    : ChannelSettings(Name, Events)
{
    public override string Type => "email";
}

/// <summary><c>type: slack</c>: an incoming webhook (its URL is a secret).</summary>
public sealed record SlackChannelSettings(string Name, IReadOnlyList<string> Events, EnvReference WebhookUrl) : ChannelSettings(Name, Events)
{
    public override string Type => "slack";
}

/// <summary><c>type: webhook</c>: a JSON POST, signed with HMAC-SHA256 when a secret is given.</summary>
public sealed record WebhookChannelSettings(string Name, IReadOnlyList<string> Events, string Url, EnvReference? Secret) : ChannelSettings(Name, Events)
{
    public override string Type => "webhook";
}

/// <summary><c>type: pagerduty</c>: Events v2 with a routing key; <c>Url</c> overrides the endpoint (tests).</summary>
public sealed record PagerDutyChannelSettings(string Name, IReadOnlyList<string> Events, EnvReference RoutingKey, string? Url) : ChannelSettings(Name, Events)
{
    public override string Type => "pagerduty";
}

/// <summary><c>type: ntfy</c>: a topic URL and an optional access token.</summary>
public sealed record NtfyChannelSettings(string Name, IReadOnlyList<string> Events, string Url, EnvReference? Token) : ChannelSettings(Name, Events)
{
    public override string Type => "ntfy";
}

/// <summary><c>type: ping</c>: a healthchecks-style dead-man URL (start, success, fail pings).</summary>
public sealed record PingChannelSettings(string Name, IReadOnlyList<string> Events, string Url) : ChannelSettings(Name, Events)
{
    public override string Type => "ping";
}
