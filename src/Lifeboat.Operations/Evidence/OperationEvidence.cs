using System.Globalization;
using System.Text.Json.Nodes;
using Lifeboat.Operations.Audit;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Check;

namespace Lifeboat.Operations.Evidence;

/// <summary>Evidence reports of backups and checks, saved and turned into audit facts.</summary>
public static class OperationEvidence
{
    /// <summary>
    /// Saves the evidence of a completed backup and returns its audit facts; <paramref name="warnings"/>
    /// (e.g. <see cref="SizeDrop"/>'s) go into the report's warnings and the audit record's details.
    /// </summary>
    public static Task<AuditFacts> ForBackupAsync(
        BackupRepository repository, SnapshotRecord record, BackupManifest? manifest, IReadOnlyList<string> warnings, DateTimeOffset started,
        CancellationToken cancellationToken) =>
        ForBackupAsync(repository, record, manifest, [.. warnings.Select(w => new EvidenceWarning("size", record.Snapshot.Source, w))], started, cancellationToken);

    /// <summary>
    /// Saves the evidence of a completed backup with <paramref name="warnings"/> of any check (e.g. a directory
    /// backup's unreadable paths) and returns its audit facts.
    /// </summary>
    public static async Task<AuditFacts> ForBackupAsync(
        BackupRepository repository, SnapshotRecord record, BackupManifest? manifest, IReadOnlyList<EvidenceWarning> warnings, DateTimeOffset started,
        CancellationToken cancellationToken)
    {
        var s = record.Snapshot;
        var figures = new JsonObject
        {
            ["streams"] = s.Streams.Count,
            ["bytesRead"] = s.Summary.BytesRead,
            ["newBytes"] = s.Summary.NewBytes,
            ["storedBytes"] = s.Summary.StoredBytes,
            ["newBlobs"] = s.Summary.NewBlobs,
            ["duplicateBlobs"] = s.Summary.DuplicateBlobs,
            ["newPacks"] = s.Summary.NewPacks,
            ["seconds"] = s.Summary.Seconds,
        };
        var checks = new List<EvidenceCheck>();
        if (manifest is not null)
        {
            figures["tables"] = manifest.Tables.Count;
            figures["rows"] = manifest.Tables.Sum(t => t.Rows);
            figures["dataBytes"] = manifest.TotalDataBytes;
            figures["sequences"] = manifest.Sequences.Count;
            figures["largeObjects"] = manifest.LargeObjects.Count;
            figures["serverVersion"] = manifest.ServerVersion;
            figures["pgDump"] = manifest.PgDumpVersion;
            figures["walLsn"] = manifest.WalLsn;
            figures["databaseSnapshotTime"] = manifest.SnapshotTime;
            var tables = manifest.Tables.Where(t => t.Stream is not null).ToList();
            checks.Add(new EvidenceCheck("captured-tables", "Tables captured (rows, bytes, SHA-256 of the COPY stream)", true,
                $"{tables.Count} table(s), {tables.Sum(t => t.Rows)} row(s)",
                [.. tables.Select(t => new EvidenceItem(t.Schema + "." + t.Name, true, null,
                    $"{t.Rows} rows, {t.Bytes} bytes", "sha256 " + t.Sha256))]));
        }

        checks.Add(new EvidenceCheck("streams", "Streams stored (size, SHA-256)", true, $"{s.Streams.Count} stream(s), {s.TotalSize} bytes",
            [.. s.Streams.Select(x => new EvidenceItem(x.Name, true, null, $"{x.Size} bytes", "sha256 " + x.Sha256))]));
        var report = new EvidenceReport
        {
            Kind = "backup",
            Title = $"Lifeboat backup of {s.Source}",
            Passed = true,
            Program = ProgramInfo.Name,
            Started = started,
            Finished = repository.Context.Time.GetUtcNow(),
            RunBy = repository.Context.Identity.ToString(),
            Repository = repository.Config.Id,
            Snapshot = Snapshot(record),
            Timings = [new EvidenceTiming("backup", s.Summary.Seconds)],
            Figures = figures,
            Checks = checks,
            Warnings = [.. warnings],
        };
        var saved = await EvidenceRecorder.SaveAsync(repository, report, cancellationToken);
        var details = new Dictionary<string, string>
        {
            ["storedBytes"] = s.Summary.StoredBytes.ToString(CultureInfo.InvariantCulture),
            ["tags"] = string.Join(",", s.Tags),
        };
        if (warnings.Count > 0)
        {
            details["warnings"] = string.Join("; ", warnings.Select(w => w.Message));
        }

        return new AuditFacts
        {
            Source = s.Source,
            Snapshots = [record.Id.ToString()],
            Bytes = s.Summary.BytesRead,
            Checksum = saved.Sha256,
            Evidence = saved.Id,
            Details = details,
        };
    }

    /// <summary>Saves the evidence of a completed check and returns its audit facts (failed when it found problems).</summary>
    public static async Task<AuditFacts> ForCheckAsync(
        BackupRepository repository, CheckReport check, CheckOptions options, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var finished = repository.Context.Time.GetUtcNow();
        var report = new EvidenceReport
        {
            Kind = "check",
            Title = "Lifeboat repository check",
            Passed = check.Ok,
            Program = ProgramInfo.Name,
            Started = started,
            Finished = finished,
            RunBy = repository.Context.Identity.ToString(),
            Repository = repository.Config.Id,
            Timings = [new EvidenceTiming("check", (finished - started).TotalSeconds)],
            Figures = new JsonObject
            {
                ["readDataPercent"] = options.ReadDataPercent,
                ["snapshots"] = check.Snapshots,
                ["indexFiles"] = check.IndexFiles,
                ["packs"] = check.Packs,
                ["packsRead"] = check.PacksRead,
                ["bytesRead"] = check.BytesRead,
                ["blobsReferenced"] = check.BlobsReferenced,
                ["unreferencedPacks"] = check.UnreferencedPacks,
                ["auditRecords"] = check.AuditRecords,
                ["evidenceReports"] = check.EvidenceReports,
                ["problems"] = check.Problems.Count,
            },
            Checks =
            [
                new EvidenceCheck("integrity", "Repository integrity (keys, index, snapshots, audit log, evidence, packs" + (options.ReadDataPercent > 0 || options.Subset is not null ? ", data" : "") + ")",
                    check.Ok, check.Ok ? "no errors" : $"{check.Problems.Count} error(s)",
                    [.. check.Problems.Select(p => new EvidenceItem(p.Object, false, null, null,
                        p.Message + (p.AffectedSnapshots.Count > 0 ? $" (affects {string.Join(", ", p.AffectedSnapshots)})" : "")))]),
            ],
            Notes = check.Notes,
        };
        if (options.Subset is (var part, var of))
        {
            report.Figures["readDataSubset"] = $"{part}/{of}";
        }

        var saved = await EvidenceRecorder.SaveAsync(repository, report, cancellationToken);
        return new AuditFacts
        {
            Bytes = check.BytesRead,
            Checksum = saved.Sha256,
            Evidence = saved.Id,
            Failed = !check.Ok,
            Error = check.Ok ? null : $"{check.Problems.Count} error(s): {check.Problems[0].Message}",
            Details = new Dictionary<string, string> { ["readDataPercent"] = options.ReadDataPercent.ToString(CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>The report's description of a snapshot.</summary>
    public static EvidenceSnapshot Snapshot(SnapshotRecord record) =>
        new(record.Id.ToString(), record.Snapshot.Time, record.Snapshot.Source, record.Snapshot.Host, record.Snapshot.Kind);
}
