using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;
using Lifeboat.Repository;

namespace Lifeboat.Operations.Drill;

/// <summary>
/// <c>lifeboat drill</c>: restores a database snapshot into a new database on a scratch server,
/// proves it (checks 1-7), measures RTO (start to verified database) and RPO (the snapshot's age),
/// drops the database it created (unless kept), saves the evidence report and audits the run.
/// It opens the repository through <paramref name="opener"/> when it starts; <paramref name="observer"/>, when
/// given, sees the restored database before the checks run.
/// </summary>
public sealed class DrillRun(IRepositoryOpener opener, IDrillObserver? observer = null)
{
    /// <summary>Runs the drill under a shared lock and appends its audit record.</summary>
    public async Task<DrillResult> RunAsync(DrillRequest request, IProgress<DrillProgress>? progress, CancellationToken cancellationToken)
    {
        var reporter = new Reporter(progress);
        reporter.Enter("opening the snapshot");
        var repository = await opener.OpenAsync(cancellationToken);
        return await OperationAudit.RunAsync(
            repository, "drill", ct => RunCoreAsync(repository, request, reporter, ct), (result, _) => Task.FromResult(Facts(result)), cancellationToken);
    }

    private async Task<DrillResult> RunCoreAsync(BackupRepository repository, DrillRequest request, Reporter reporter, CancellationToken cancellationToken)
    {
        var time = repository.Context.Time;
        var started = time.GetUtcNow();
        var clock = time.GetTimestamp();
        var timings = new Laps(time);

        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "drill", cancellationToken);
        reporter.Enter("opening the snapshot");
        var record = await ResolveAsync(repository, request.Snapshot, request.Source, cancellationToken);
        var (_, source, manifest) = await DatabaseRestore.OpenAsync(repository, record.Id.ToString(), reporter.BytesRead, cancellationToken);
        timings.Lap("open snapshot");

        var name = DatabaseName(record, started);
        var drilled = new Drilled(record, source, manifest, name, request.Scratch.WithDatabase(name));
        reporter.Enter($"creating database {name}");
        var scratch = await ScratchDatabase.CreateAsync(drilled.Target, record.Id.ToString(), repository.Context.Notice, cancellationToken);
        timings.Lap("create database");

        var proof = await RestoreAndCheckAsync(repository.Context.Time, request, drilled, scratch, timings, clock, reporter, cancellationToken);
        if (request.Checks is null)
        {
            proof.Notes.Add("no checks file (--checks): required tables and custom assertions (checks 6 and 7) were not run");
        }

        var rpo = started - record.Snapshot.Time;
        var objectives = Objectives(request, proof.VerifiedAfter, time.GetElapsedTime(clock), rpo);
        // warnings are the source's state (the restore is exact there): they never fail the drill
        var passed = proof.Checks.All(c => c.Passed) && objectives.All(o => o.Passed);
        reporter.Enter("saving the evidence");
        var report = Report(repository, request, drilled, proof, objectives, passed, started, timings.Timings, rpo);
        var saved = await EvidenceRecorder.SaveAsync(repository, report, cancellationToken);
        return new DrillResult(passed, name, request.Keep, saved);
    }

    /// <summary>Restores into the scratch database, runs the checks on it, and drops it (unless kept), also after a failure.</summary>
    private async Task<Proof> RestoreAndCheckAsync(
        TimeProvider time, DrillRequest request, Drilled drilled, ScratchDatabase scratch, Laps timings, long clock, Reporter reporter, CancellationToken cancellationToken)
    {
        var proof = new Proof();
        try
        {
            reporter.Enter("restoring", drilled.Source.BytesRead, drilled.Manifest.TotalDataBytes);
            var restored = await RestoreAsync(drilled.Source, drilled.Manifest, drilled.Target, request, proof.Checks, cancellationToken);
            timings.Lap("restore");
            if (restored)
            {
                if (observer is not null)
                {
                    await observer.RestoredAsync(drilled.Target, cancellationToken);
                }

                proof.ServerVersion = await RunChecksAsync(drilled.Target, drilled.Manifest, request, proof.Checks, timings.Timings, time, cancellationToken);
                timings.Restart();
                proof.VerifiedAfter = time.GetElapsedTime(clock);
            }
        }
        finally
        {
            if (!request.Keep)
            {
                reporter.Enter($"dropping database {drilled.Name}");
                var dropError = await TryDropAsync(scratch);
                timings.Lap("drop database");
                if (dropError is not null)
                {
                    proof.Notes.Add($"could not drop the scratch database {drilled.Name}: {dropError}; drop it by hand");
                }
            }
            else if (await TryKeepAsync(scratch, drilled.Record) is { } keepError)
            {
                proof.Notes.Add($"could not mark the scratch database {drilled.Name} as kept: {keepError}; a later drill on this host may drop it");
            }
        }

        return proof;
    }

    private static List<EvidenceObjective> Objectives(DrillRequest request, TimeSpan? verifiedAfter, TimeSpan elapsed, TimeSpan rpo) =>
    [
        new("RTO", verifiedAfter is null ? "start to verified database (not reached: the restore failed)" : "start to verified, usable database",
            request.Rto?.TotalSeconds, (verifiedAfter ?? elapsed).TotalSeconds,
            verifiedAfter is { } v && (request.Rto is null || v <= request.Rto)),
        new("RPO", "age of the snapshot when the drill started", request.Rpo?.TotalSeconds, rpo.TotalSeconds, request.Rpo is null || rpo <= request.Rpo),
    ];

    private static EvidenceReport Report(
        BackupRepository repository, DrillRequest request, Drilled drilled, Proof proof, List<EvidenceObjective> objectives, bool passed, DateTimeOffset started,
        List<EvidenceTiming> timings, TimeSpan rpo)
    {
        var (record, source, manifest) = (drilled.Record, drilled.Source, drilled.Manifest);
        var checks = proof.Checks;
        var warnings = EvidenceWarning.Of(checks);
        return new EvidenceReport
        {
            Kind = "drill",
            Title = $"Lifeboat restore drill of {record.Snapshot.Source}",
            Passed = passed,
            Program = ProgramInfo.Name,
            Started = started,
            Finished = repository.Context.Time.GetUtcNow(),
            RunBy = repository.Context.Identity.ToString(),
            Repository = repository.Config.Id,
            Snapshot = OperationEvidence.Snapshot(record),
            Objectives = objectives,
            Timings = timings,
            Figures = new JsonObject
            {
                ["scratchDatabase"] = drilled.Target.Redact(),
                ["scratchServerVersion"] = proof.ServerVersion,
                ["kept"] = request.Keep,
                ["jobs"] = request.Jobs,
                ["tables"] = manifest.Tables.Count,
                ["rows"] = manifest.Tables.Sum(t => t.Rows),
                ["dataBytes"] = manifest.TotalDataBytes,
                ["bytesRestored"] = source.BytesRead,
                ["sequences"] = manifest.Sequences.Count,
                ["largeObjects"] = manifest.LargeObjects.Count,
                ["sourceServerVersion"] = manifest.ServerVersion,
                ["rtoSeconds"] = proof.VerifiedAfter?.TotalSeconds,
                ["rpoSeconds"] = rpo.TotalSeconds,
                ["checksPassed"] = checks.Count(c => c.Passed),
                ["checksFailed"] = checks.Count(c => !c.Passed),
                ["warnings"] = warnings.Count,
            },
            Checks = checks,
            Warnings = warnings,
            Notes = proof.Notes,
        };
    }

    private async Task<bool> RestoreAsync(
        SnapshotStreamSource source, BackupManifest manifest, PgConnectionInfo target, DrillRequest request, List<EvidenceCheck> checks, CancellationToken cancellationToken)
    {
        try
        {
            await new PostgresRestore().RestoreAsync(source, manifest, target,
                new RestoreOptions { Jobs = request.Jobs, NoOwner = request.NoOwner, NoPrivileges = request.NoPrivileges, PgBinDirectory = request.PgBinDirectory },
                cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not (OperationCanceledException or PgToolNotFoundException or DatabaseUnreachableException or AuthenticationFailedException))
        {
            checks.Add(new EvidenceCheck("restore", "The snapshot restores", false, OperationAudit.ErrorText(e.Message), []));
            return false;
        }
    }

    private static async Task<string?> RunChecksAsync(
        PgConnectionInfo target, BackupManifest manifest, DrillRequest request, List<EvidenceCheck> checks, List<EvidenceTiming> timings,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var step = time.GetTimestamp();
        EvidenceCheck Timed(EvidenceCheck check)
        {
            var seconds = time.GetElapsedTime(step).TotalSeconds;
            timings.Add(new EvidenceTiming("check: " + check.Name, seconds));
            step = time.GetTimestamp();
            return check with { Seconds = seconds };
        }

        var (rows, hashes, identical) = await DatabaseChecks.RowsAndHashesAsync(target, manifest, request.Jobs, cancellationToken);
        var both = time.GetElapsedTime(step).TotalSeconds;
        checks.Add(rows with { Seconds = both });
        checks.Add(hashes with { Seconds = both });
        timings.Add(new EvidenceTiming("check: row-counts and content-hashes", both));
        step = time.GetTimestamp();
        await using var catalog = await DatabaseCatalog.OpenReadOnlyAsync(target, cancellationToken);
        checks.Add(Timed(await DatabaseChecks.ForeignKeysAsync(catalog, identical, cancellationToken)));
        checks.Add(Timed(await DatabaseChecks.RowLevelSecurityAsync(catalog, manifest, cancellationToken)));
        checks.Add(Timed(await DatabaseChecks.SequencesAsync(catalog, manifest, identical, cancellationToken)));
        if (request.Checks is { } file)
        {
            checks.Add(Timed(await CustomChecks.RequiredTablesAsync(catalog, file, cancellationToken)));
            checks.Add(Timed(await CustomChecks.AssertionsAsync(catalog, file, cancellationToken)));
        }

        return catalog.ServerVersion;
    }

    private static async Task<SnapshotRecord> ResolveAsync(BackupRepository repository, string reference, string? sourceName, CancellationToken cancellationToken)
    {
        if (!string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase))
        {
            return await SnapshotStore.FindAsync(repository, reference, cancellationToken);
        }

        // as 'latest' everywhere: while a snapshot cannot be read it may be the newest database snapshot, so the
        // drill refuses (naming it and the newest readable one) rather than quietly proving an older backup
        return await SnapshotStore.LatestReadableAsync(
                repository, s => s.Kind == DatabaseBackup.Kind && (sourceName is null || s.Source == sourceName), "database snapshot", cancellationToken)
            ?? throw new NotFoundException(sourceName is null
                ? "the repository has no database snapshot to drill: back one up with 'lifeboat backup --db ...'"
                : $"the repository has no snapshot of {sourceName} to drill: back it up first");
    }

    /// <summary><c>lifeboat_drill_&lt;snapshot&gt;_&lt;yyyyMMdd_HHmmss&gt;_&lt;4 random hex&gt;</c>: unique, and recognisable as the drill's own.</summary>
    internal static string DatabaseName(SnapshotRecord record, DateTimeOffset started) =>
        $"lifeboat_drill_{record.ShortId}_{started.UtcDateTime.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";

    /// <summary>Drops the database the drill created (only that one); returns the error text, or null.</summary>
    private static async Task<string?> TryDropAsync(ScratchDatabase scratch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await scratch.DropAsync(timeout.Token);
            return null;
        }
        catch (Exception e)
        {
            return OperationAudit.ErrorText(e.Message);
        }
    }

    /// <summary>Marks the kept database as no drill's leftover (else the next drill would drop it); returns the error text, or null.</summary>
    private static async Task<string?> TryKeepAsync(ScratchDatabase scratch, SnapshotRecord record)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await scratch.KeepAsync(record.Id.ToString(), timeout.Token);
            return null;
        }
        catch (Exception e)
        {
            return OperationAudit.ErrorText(e.Message);
        }
    }

    private static AuditFacts Facts(DrillResult result)
    {
        var report = result.Report;
        var failures = report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Summary}")
            .Concat(report.Objectives.Where(o => !o.Passed).Select(o => $"{o.Name} objective missed"))
            .ToList();
        return new AuditFacts
        {
            Source = report.Snapshot?.Source,
            Snapshots = report.Snapshot is { } s ? [s.Id] : [],
            Bytes = report.Figures["bytesRestored"]?.GetValue<long>(),
            Checksum = result.Evidence.Sha256,
            Evidence = result.Evidence.Id,
            Failed = !result.Passed,
            Error = failures.Count > 0 ? "drill failed: " + string.Join("; ", failures) : null,
            Details = new Dictionary<string, string>
            {
                ["database"] = result.Database,
                ["kept"] = result.Kept ? "yes" : "no",
                ["warnings"] = report.Warnings.Count.ToString(CultureInfo.InvariantCulture),
                ["rtoSeconds"] = report.Objectives[0].AchievedSeconds.ToString("0.000", CultureInfo.InvariantCulture),
                ["rpoSeconds"] = report.Objectives[1].AchievedSeconds.ToString("0.000", CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary>Turns the steps and the source's byte count into <see cref="DrillProgress"/> records.</summary>
    private sealed class Reporter(IProgress<DrillProgress>? progress)
    {
        private volatile DrillProgress _step = new("starting", 0, null);

        public void Enter(string step, long bytesRead = 0, long? bytesExpected = null)
        {
            _step = new DrillProgress(step, bytesRead, bytesExpected);
            progress?.Report(_step);
        }

        /// <summary>Called by the source on the thread that read; counted from the restore on.</summary>
        public void BytesRead(long total)
        {
            var step = _step;
            if (step.BytesExpected is not null)
                progress?.Report(step with { BytesRead = total });
        }
    }

    /// <summary>The snapshot being drilled and the scratch database it goes into.</summary>
    private sealed record Drilled(SnapshotRecord Record, SnapshotStreamSource Source, BackupManifest Manifest, string Name, PgConnectionInfo Target);

    /// <summary>What restoring and checking found: the checks, notes, when the database was verified, the scratch server's version.</summary>
    private sealed class Proof
    {
        public List<EvidenceCheck> Checks { get; } = [];

        public List<string> Notes { get; } = [];

        public TimeSpan? VerifiedAfter { get; set; }

        public string? ServerVersion { get; set; }
    }

    /// <summary>The timed steps of the evidence: each lap is the time since the previous one (or <see cref="Restart"/>).</summary>
    private sealed class Laps(TimeProvider time)
    {
        private long _mark = time.GetTimestamp();

        public List<EvidenceTiming> Timings { get; } = [];

        public void Lap(string name)
        {
            Timings.Add(new EvidenceTiming(name, time.GetElapsedTime(_mark).TotalSeconds));
            Restart();
        }

        public void Restart() => _mark = time.GetTimestamp();
    }
}
