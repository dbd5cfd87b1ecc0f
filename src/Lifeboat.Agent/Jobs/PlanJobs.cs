using System.Globalization;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Postgres;
using Lifeboat.Repository;

namespace Lifeboat.Agent.Jobs;

/// <summary>The settings of <see cref="PlanJobs"/> beyond the plan file; the defaults are those of <c>serve</c>.</summary>
internal sealed record PlanJobsOptions
{
    /// <summary>Where <c>${VARIABLE}</c> references and libpq's variables are read.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The first wait for a locked repository; each next one doubles, up to <see cref="MaxLockWait"/>.</summary>
    public TimeSpan FirstLockWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two tries of a locked repository.</summary>
    public TimeSpan MaxLockWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a copy repository another process holds locked is waited for before that copy is given up.</summary>
    public TimeSpan CopyLockPatience { get; init; } = TimeSpan.FromHours(1);

    /// <summary>At most one progress line per this interval (phases are said at once).</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Uploads at once (backups, copies).</summary>
    public int Connections { get; init; } = 4;

    /// <summary>The clock of the waits and the status lines.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The job bodies of <see cref="IPlanJobs"/>: <see cref="PlanBackup"/> (with its copies and retention),
/// <see cref="PlanCheck"/>, <see cref="PlanDrill"/> and <see cref="PlanPrune"/>, each on the repositories the job opens
/// through <paramref name="openers"/> and disposes when it ends.
/// </summary>
internal sealed class PlanJobs(IRepositoryOpeners openers, PlanJobsOptions? options = null) : IPlanJobs
{
    private readonly PlanJobsOptions _options = options ?? new PlanJobsOptions();

    /// <inheritdoc/>
    public async Task<JobReport> RunAsync(
        PlanFile.PlanFile file, PlanSettings plan, RunKind kind, RunOptions options, IProgress<string> status, CancellationToken cancellationToken)
    {
        await using var repositories = new JobRepositories(openers, file, _options.Environment);
        var job = new JobContext(
            file, plan, repositories, new StatusLine(status, _options.StatusInterval, _options.Time),
            new LockWait(_options.FirstLockWait, _options.MaxLockWait, _options.Time), _options);
        return kind switch
        {
            RunKind.Backup => await PlanBackup.RunAsync(job, options, cancellationToken).ConfigureAwait(false),
            RunKind.Check => await PlanCheck.RunAsync(job, plan.Check ?? throw Missing(plan, "check"), options.Round, cancellationToken).ConfigureAwait(false),
            RunKind.Drill => await PlanDrill.RunAsync(job, plan.Drill ?? throw Missing(plan, "drill"), cancellationToken).ConfigureAwait(false),
            RunKind.Prune => await PlanPrune.RunAsync(job, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a copy is made by its plan's backup, not run on its own"),
        };
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<PastBackup>> HistoryAsync(PlanFile.PlanFile file, PlanSettings plan, CancellationToken cancellationToken)
    {
        await using var repositories = new JobRepositories(openers, file, _options.Environment);
        var job = new JobContext(
            file, plan, repositories, new StatusLine(new Progress<string>(), _options.StatusInterval, _options.Time),
            new LockWait(_options.FirstLockWait, _options.MaxLockWait, _options.Time), _options);
        var repository = await repositories.OpenAsync(plan.Repository, cancellationToken).ConfigureAwait(false);
        var (records, _) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken).ConfigureAwait(false);
        var source = job.SourceName;
        return records
            .Where(r => r.Snapshot.Kind == DatabaseBackup.Kind && r.Snapshot.Source == source)
            .OrderBy(r => r.Snapshot.Time)
            .Select(r => new PastBackup(r.ShortId, r.Snapshot.Time, r.Snapshot.Summary.Seconds, r.Snapshot.Summary.BytesRead, r.Snapshot.Summary.StoredBytes))
            .ToArray();
    }

    private static InvalidOperationException Missing(PlanSettings plan, string kind) => new($"plan {plan.Name} has no {kind} job");
}

/// <summary>What a job body works with: its plan, the repositories it opens, its status line and the lock waits.</summary>
internal sealed record JobContext(
    PlanFile.PlanFile File, PlanSettings Plan, JobRepositories Repositories, StatusLine Status, LockWait Locks, PlanJobsOptions Options)
{
    /// <summary>The plan's source.</summary>
    public SourceSettings Source => File.Source(Plan.Source);

    /// <summary>Runs <paramref name="step"/> on repository <paramref name="name"/> once no other process holds it locked against it.</summary>
    public Task<T> WhenUnlockedAsync<T>(string name, bool exclusive, Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken) =>
        Locks.RunAsync(name, Repositories, exclusive, step, Status.Sink, cancellationToken);

    /// <summary>
    /// The source's connection, as <c>backup --db</c> parses it; its password from the source's <c>password_file</c>,
    /// else PGPASSWORD or .pgpass as libpq does.
    /// </summary>
    public PgConnectionInfo SourceConnection()
    {
        var source = Source;
        var password = PlanSecrets.SourcePassword(source);
        try
        {
            return PgConnectionInfo.Parse(source.Db, name => name == "PGPASSWORD" && password is not null ? password : Options.Environment(name));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidRequestException($"source {source.Name}: its db is not a connection: {e.Message}");
        }
    }

    /// <summary>The source's name in snapshots (host:port/database).</summary>
    public string SourceName
    {
        get
        {
            try
            {
                return DatabaseBackup.SourceName(PgConnectionInfo.Parse(Source.Db, Options.Environment));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new InvalidRequestException($"source {Source.Name}: its db is not a connection: {e.Message}");
            }
        }
    }

    /// <summary>Bytes for people: <c>12.3 MiB</c>.</summary>
    public static string Size(long bytes) => bytes < 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB");
}
