using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// A plan's backup, in order: the snapshot of the source (the plan's tags and the run's), the run's hold, the copies to
/// the plan's <c>copies</c> (each its <see cref="CopyReport"/>: a failed copy does not fail the backup), then the
/// plan's retention on this source's snapshots, as <c>forget --keep-*</c> would.
/// </summary>
internal static class PlanBackup
{
    public static async Task<JobReport> RunAsync(JobContext job, RunOptions run, CancellationToken cancellationToken)
    {
        var plan = job.Plan;
        var source = job.Source;
        var selection = new DatabaseSelection
        {
            Jobs = source.Jobs ?? DatabaseSelection.DefaultJobs,
            Schemas = source.Schemas,
            ExcludeSchemas = source.ExcludeSchemas,
            Tables = source.Tables,
            ExcludeTables = source.ExcludeTables,
            ExcludeTableData = source.ExcludeTableData,
            Profile = source.Profile,
            Globals = source.Globals,
            PhysicalOrder = source.PhysicalOrder,
        };
        var request = new DatabaseBackupRequest(job.SourceConnection(), selection.ToCaptureOptions())
        {
            Tags = [.. plan.Backup.Tags.Concat(run.ExtraTags).Distinct(StringComparer.Ordinal)],
            AlsoTo = [.. plan.Copies.Select(job.Repositories.For)],
        };
        var backup = new DatabaseBackup(job.Repositories.For(plan.Repository), new BackupWriterOptions { UploadConcurrency = job.Options.Connections });
        job.Status.Phase($"backup of {source.Name} to repository {plan.Repository}: starting");
        var progress = job.Status.Every<BackupProgress>(p =>
            $"backup of {source.Name}: tables {p.TablesDone}/{p.TablesTotal}, {JobContext.Size(p.BytesDone)} read, {JobContext.Size(p.StoredBytes)} new stored");
        var result = await job.WhenUnlockedAsync(plan.Repository, exclusive: false, ct => backup.RunAsync(request, progress, ct), cancellationToken).ConfigureAwait(false);
        var record = result.Record;
        var warnings = new List<string>(result.Warnings);
        if (run.HoldUntil is { } until)
        {
            var forever = until == DateTimeOffset.MaxValue; // lifeboat run --hold-until forever
            job.Status.Phase($"holding snapshot {record.ShortId} {(forever ? "forever" : $"until {UtcTime.Format(until)}")}");
            await job.WhenUnlockedAsync(
                plan.Repository, exclusive: false,
                async ct => await new RetentionQueries(await job.Repositories.OpenAsync(plan.Repository, ct).ConfigureAwait(false))
                    .HoldAsync(record.Id.ToString(), forever ? null : until, run.HoldReason ?? $"plan {plan.Name}: on-demand run", ct),
                cancellationToken).ConfigureAwait(false);
        }

        var copies = await CopyAsync(job, result, cancellationToken).ConfigureAwait(false);
        var figures = new Dictionary<string, double>
        {
            [Figures.SizeBytes] = record.Snapshot.Summary.BytesRead,
            [Figures.AddedBytes] = record.Snapshot.Summary.StoredBytes,
        };
        if (plan.Retention is { } retention)
        {
            await RetainAsync(job, retention, figures, warnings, cancellationToken).ConfigureAwait(false);
        }

        if (await StoredBytesAsync(job, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            figures[JobFigures.StoredBytes] = stored;
        }

        var summary = record.Snapshot.Summary;
        return new JobReport(
            $"snapshot {record.ShortId} of {source.Name}: {JobContext.Size(summary.BytesRead)} read, {JobContext.Size(summary.StoredBytes)} added",
            figures, copies, warnings);
    }

    /// <summary>Copies the new snapshot to each of the plan's copies, in order; one report each.</summary>
    private static async Task<IReadOnlyList<CopyReport>> CopyAsync(JobContext job, DatabaseBackupResult result, CancellationToken cancellationToken)
    {
        if (!result.Copies.Any)
        {
            return [];
        }

        job.Status.Phase($"copying snapshot {result.Record.ShortId} to {string.Join(", ", job.Plan.Copies)}");
        var copying = job.Status.Every<CopyProgress>(p => $"copy to {p.Target}: {JobContext.Size(p.BytesRead)} read");
        var options = new CopyOptions { Writer = new BackupWriterOptions { UploadConcurrency = job.Options.Connections } };
        var outcomes = await result.Copies.RunAsync(options, copying, cancellationToken).ConfigureAwait(false);
        var reports = new List<CopyReport>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            var name = job.Plan.Copies[i];
            var error = outcomes[i].Failure is RepositoryLockedException && job.Repositories.Opened(name) is { } target
                ? await CopyWhenUnlockedAsync(job, name, target, result.Record, options, copying, cancellationToken).ConfigureAwait(false)
                : outcomes[i].Message;
            reports.Add(error is null
                ? new CopyReport(name, null, 0)
                : new CopyReport(name, error, await LagAsync(job.Repositories.Opened(name), result.Record, cancellationToken).ConfigureAwait(false)));
        }

        return reports;
    }

    /// <summary>
    /// The copy to <paramref name="name"/>, which another process holds locked: waited for (said through the status, as
    /// for the primary) for at most <see cref="PlanJobsOptions.CopyLockPatience"/>, so one locked copy does not hold the
    /// plan's repository and source for ever. Null when the copy was made, else why not.
    /// </summary>
    private static async Task<string?> CopyWhenUnlockedAsync(
        JobContext job, string name, BackupRepository target, SnapshotRecord record, CopyOptions options, IProgress<CopyProgress> copying,
        CancellationToken cancellationToken)
    {
        var primary = await job.Repositories.OpenAsync(job.Plan.Repository, cancellationToken).ConfigureAwait(false);
        using var patience = new CancellationTokenSource(job.Options.CopyLockPatience, job.Options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, patience.Token);
        try
        {
            var copy = await job.WhenUnlockedAsync(
                name, exclusive: false, ct => new RepositoryCopy(primary, target, options with { Snapshots = [record.Id.ToString()] }, copying).RunAsync(ct),
                linked.Token).ConfigureAwait(false);
            return copy.Snapshots.Count > 0
                ? null
                : $"snapshot {record.ShortId} is saved in {primary.Storage.Location}, but it could not be read back to copy it to {target.Storage.Location}: {copy.Damaged[0].Error}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"snapshot {record.ShortId} is saved in {primary.Storage.Location}, but repository {name} stayed locked by another process for " +
                $"{Operations.Durations.Format(job.Options.CopyLockPatience)}: the copy was given up (the next backup copies its own snapshot; `lifeboat copy` copies this one)";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"snapshot {record.ShortId} is saved in {primary.Storage.Location}, but copying it to {target.Storage.Location} failed: {e.Message}";
        }
    }

    /// <summary>How far the newest snapshot of the source in <paramref name="copy"/> is behind <paramref name="newest"/>; null when it cannot be told.</summary>
    private static async Task<double?> LagAsync(BackupRepository? copy, SnapshotRecord newest, CancellationToken cancellationToken)
    {
        if (copy is null)
        {
            return null;
        }

        try
        {
            var (records, _) = await SnapshotStore.LoadReadableAsync(copy, cancellationToken).ConfigureAwait(false);
            var latest = records.Where(r => r.Snapshot.Kind == newest.Snapshot.Kind && r.Snapshot.Source == newest.Snapshot.Source)
                .Select(r => (DateTimeOffset?)r.Snapshot.Time).Max();
            return latest is { } time ? Math.Max(0, (newest.Snapshot.Time - time).TotalSeconds) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Applies the plan's retention to this source's snapshots; a refusal is a warning (the backup is made).</summary>
    private static async Task RetainAsync(
        JobContext job, RetentionSettings retention, Dictionary<string, double> figures, List<string> warnings, CancellationToken cancellationToken)
    {
        var options = new ForgetOptions
        {
            Policy = new RetentionPolicy
            {
                KeepLast = retention.KeepLast ?? 0,
                Counts =
                [
                    new(CalendarUnit.Hour, retention.KeepHourly ?? 0), new(CalendarUnit.Day, retention.KeepDaily ?? 0),
                    new(CalendarUnit.Week, retention.KeepWeekly ?? 0), new(CalendarUnit.Month, retention.KeepMonthly ?? 0),
                    new(CalendarUnit.Year, retention.KeepYearly ?? 0),
                ],
            },
            Source = job.SourceName,
            TimeZone = job.Plan.Backup.Schedule.TimeZone,
        };
        job.Status.Phase($"applying the retention ({options.Policy.Describe()}) to the snapshots of {job.Source.Name}");
        try
        {
            var result = await job.WhenUnlockedAsync(
                job.Plan.Repository, exclusive: true,
                async ct => await new ForgetOperation(await job.Repositories.OpenAsync(job.Plan.Repository, ct).ConfigureAwait(false))
                    .RunAsync(options, dryRun: false, prune: null, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            figures[JobFigures.ForgottenSnapshots] = result.Removed;
        }
        catch (RepositoryException e) when (e is not RepositoryLockedException)
        {
            warnings.Add($"the retention was not applied: {e.Message}");
        }
    }

    /// <summary>The repository's stored bytes as its index tells them; null when the index cannot be read now.</summary>
    private static async Task<long?> StoredBytesAsync(JobContext job, CancellationToken cancellationToken)
    {
        try
        {
            var repository = await job.Repositories.OpenAsync(job.Plan.Repository, cancellationToken).ConfigureAwait(false);
            return (await MasterIndex.LoadAsync(repository, cancellationToken).ConfigureAwait(false)).PackBytes();
        }
        catch (Exception e) when (e is RepositoryException or Storage.StorageException)
        {
            return null;
        }
    }
}
