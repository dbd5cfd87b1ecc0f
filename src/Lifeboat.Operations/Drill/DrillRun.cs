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
/// </summary>
public sealed class DrillRun(BackupRepository repository)
{
    /// <summary>Test seam: runs after the restore and before the checks (e.g. to tamper with the data).</summary>
    internal Func<PgConnectionInfo, CancellationToken, Task>? AfterRestore { get; set; }

    /// <summary>Runs the drill under a shared lock and appends its audit record.</summary>
    public Task<DrillResult> RunAsync(DrillRequest request, IProgress<DrillProgress>? progress, CancellationToken cancellationToken) =>
        OperationAudit.RunAsync(repository, "drill", ct => RunCoreAsync(request, new Reporter(progress), ct), (result, _) => Task.FromResult(Facts(result)), cancellationToken);

    private async Task<DrillResult> RunCoreAsync(DrillRequest request, Reporter reporter, CancellationToken cancellationToken)
    {
        var time = repository.Context.Time;
        var started = time.GetUtcNow();
        var clock = time.GetTimestamp();
        var timings = new List<EvidenceTiming>();
        var step = time.GetTimestamp();
        void Timed(string name)
        {
            timings.Add(new EvidenceTiming(name, time.GetElapsedTime(step).TotalSeconds));
            step = time.GetTimestamp();
        }

        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "drill", cancellationToken);
        reporter.Enter("opening the snapshot");
        var record = await ResolveAsync(request.Snapshot, cancellationToken);
        var (_, source, manifest) = await DatabaseRestore.OpenAsync(repository, record.Id.ToString(), reporter.BytesRead, cancellationToken);
        Timed("open snapshot");

        var name = DatabaseName(record, started);
        var target = request.Scratch.WithDatabase(name);
        reporter.Enter($"creating database {name}");
        var scratch = await ScratchDatabase.CreateAsync(target, cancellationToken);
        Timed("create database");

        var checks = new List<EvidenceCheck>();
        var notes = new List<string>();
        TimeSpan? verifiedAfter = null;
        string? serverVersion = null;
        try
        {
            reporter.Enter("restoring", source.BytesRead, manifest.TotalDataBytes);
            var restored = await RestoreAsync(source, manifest, target, request, checks, cancellationToken);
            Timed("restore");
            if (restored)
            {
                if (AfterRestore is not null)
                {
                    await AfterRestore(target, cancellationToken);
                }

                serverVersion = await RunChecksAsync(target, manifest, request, checks, timings, time, cancellationToken);
                step = time.GetTimestamp();
                verifiedAfter = time.GetElapsedTime(clock);
            }
        }
        finally
        {
            if (!request.Keep)
            {
                reporter.Enter($"dropping database {name}");
                var dropError = await TryDropAsync(scratch);
                Timed("drop database");
                if (dropError is not null)
                {
                    notes.Add($"could not drop the scratch database {name}: {dropError}; drop it by hand");
                }
            }
        }

        if (request.Checks is null)
        {
            notes.Add("no checks file (--checks): required tables and custom assertions (checks 6 and 7) were not run");
        }

        var rpo = started - record.Snapshot.Time;
        var objectives = new List<EvidenceObjective>
        {
            new("RTO", verifiedAfter is null ? "start to verified database (not reached: the restore failed)" : "start to verified, usable database",
                request.Rto?.TotalSeconds, (verifiedAfter ?? time.GetElapsedTime(clock)).TotalSeconds,
                verifiedAfter is { } v && (request.Rto is null || v <= request.Rto)),
            new("RPO", "age of the snapshot when the drill started", request.Rpo?.TotalSeconds, rpo.TotalSeconds, request.Rpo is null || rpo <= request.Rpo),
        };
        // warnings are the source's state (the restore is exact there): they never fail the drill
        var passed = checks.All(c => c.Passed) && objectives.All(o => o.Passed);
        var warnings = EvidenceWarning.Of(checks);
        reporter.Enter("saving the evidence");
        var report = new EvidenceReport
        {
            Kind = "drill",
            Title = $"Lifeboat restore drill of {record.Snapshot.Source}",
            Passed = passed,
            Program = ProgramInfo.Name,
            Started = started,
            Finished = time.GetUtcNow(),
            RunBy = repository.Context.Identity.ToString(),
            Repository = repository.Config.Id,
            Snapshot = OperationEvidence.Snapshot(record),
            Objectives = objectives,
            Timings = timings,
            Figures = new JsonObject
            {
                ["scratchDatabase"] = target.Redact(),
                ["scratchServerVersion"] = serverVersion,
                ["kept"] = request.Keep,
                ["jobs"] = request.Jobs,
                ["tables"] = manifest.Tables.Count,
                ["rows"] = manifest.Tables.Sum(t => t.Rows),
                ["dataBytes"] = manifest.TotalDataBytes,
                ["bytesRestored"] = source.BytesRead,
                ["sequences"] = manifest.Sequences.Count,
                ["largeObjects"] = manifest.LargeObjects.Count,
                ["sourceServerVersion"] = manifest.ServerVersion,
                ["rtoSeconds"] = verifiedAfter?.TotalSeconds,
                ["rpoSeconds"] = rpo.TotalSeconds,
                ["checksPassed"] = checks.Count(c => c.Passed),
                ["checksFailed"] = checks.Count(c => !c.Passed),
                ["warnings"] = warnings.Count,
            },
            Checks = checks,
            Warnings = warnings,
            Notes = notes,
        };
        var saved = await EvidenceRecorder.SaveAsync(repository, report, cancellationToken);
        return new DrillResult(passed, name, request.Keep, saved);
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

    private async Task<SnapshotRecord> ResolveAsync(string reference, CancellationToken cancellationToken)
    {
        if (!string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase))
        {
            return await SnapshotStore.FindAsync(repository, reference, cancellationToken);
        }

        // as 'latest' everywhere: while a snapshot cannot be read it may be the newest database snapshot, so the
        // drill refuses (naming it and the newest readable one) rather than quietly proving an older backup
        return await SnapshotStore.LatestReadableAsync(repository, s => s.Kind == DatabaseBackup.Kind, "database snapshot", cancellationToken)
            ?? throw new NotFoundException("the repository has no database snapshot to drill: back one up with 'lifeboat backup --db ...'");
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
}
