using System.Globalization;
using Lifeboat.Operations.Buckets;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Buckets;

namespace Lifeboat.Cli.Commands;

/// <summary>The bucket parts of <c>backup --bucket</c>, <c>restore --to-bucket</c> and <c>ls</c>.</summary>
internal static class BucketCommands
{
    public static async Task<int> BackupAsync(CliContext context, string url, string[] tags, DateTimeOffset? when)
    {
        var bucket = StorageFactory.CreateBucket(url, "--bucket", context.StorageSettings);
        _ = context.Password;
        var backup = new BucketBackup(context.RepositoryOpener, new BackupWriterOptions { UploadConcurrency = context.Connections });
        var progress = new LatestProgress<BucketBackupProgress>();
        BucketBackupResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { } p
            ? $"backup: {p.Objects}/{p.ObjectsTotal} object(s) ({p.UnchangedObjects} unchanged), {Progress.Transfer(p.BytesRead, null, elapsed)}, {Bytes.Format(p.StoredBytes)} new stored"
            : "backup: listing the bucket"))
        {
            result = await backup.RunAsync(new BucketBackupRequest(bucket) { Tags = tags, Time = when, AlsoTo = AlsoTo.Openers(context) }, progress, context.CancellationToken);
        }

        var manifest = result.Manifest;
        foreach (var key in manifest.Vanished)
        {
            Console.Error.WriteLine($"lifeboat: warning: object '{key}' was listed but gone when downloaded; it is not in the snapshot");
        }

        var record = result.Record;
        var summary = record.Snapshot.Summary;
        if (!context.Json)
        {
            context.Info($"snapshot {record.ShortId} saved: {manifest.Objects.Count} object(s) of {bucket.Location} ({manifest.UnchangedObjects} unchanged, not downloaded; " +
                $"{manifest.DownloadedObjects} downloaded), {Bytes.Format(summary.BytesRead)} read, {Bytes.Format(summary.NewBytes)} new " +
                $"({Bytes.Format(summary.StoredBytes)} stored after compression), {summary.Seconds:0.0} s" +
                (manifest.Vanished.Count > 0 ? $"; {manifest.Vanished.Count} vanished while read" : ""));
        }

        var (outcomes, exitCode) = result.Copies.Any ? await AlsoTo.CopyAsync(context, result.Copies) : ([], ExitCodes.Ok);
        if (context.Json)
        {
            context.WriteJson(new BucketBackupOutput(
                record.Id.ToString(), record.Snapshot.Time, record.Snapshot.Source, summary, manifest.Objects.Count, manifest.UnchangedObjects, manifest.DownloadedObjects,
                manifest.ChangedWhileRead, manifest.Vanished, result.Copies.Any ? outcomes : null));
        }

        return exitCode;
    }

    public static async Task<int> RestoreAsync(CliContext context, string snapshot, string url, string? prefix, string? key, bool overwrite)
    {
        var target = StorageFactory.CreateBucket(url, "--to-bucket", context.StorageSettings);
        BucketRestoreResult result;
        await using (Progress.Start(context.ShowProgress, _ => "restore: writing objects"))
        {
            result = await new BucketRestore(context.RepositoryOpener).RunAsync(
                new BucketRestoreRequest(snapshot, target) { Prefix = prefix, Key = key, Overwrite = overwrite }, context.CancellationToken);
        }

        if (context.Json)
        {
            context.WriteJson(result);
            return ExitCodes.Ok;
        }

        context.Info($"restored snapshot {result.SnapshotId[..8]} into {result.Target}: {result.Objects} object(s), {Bytes.Format(result.Bytes)}" +
            (result.AlreadyThere > 0 ? $"; {result.AlreadyThere} already there with the same bytes, left alone" : ""));
        return ExitCodes.Ok;
    }

    /// <summary><c>ls</c> of a bucket snapshot: one line per object (size, content type, key).</summary>
    public static int List(CliContext context, SnapshotRecord record)
    {
        var manifest = BucketManifest.Of(record);
        if (context.Json)
        {
            context.WriteJson(new BucketListOutput(record.Id.ToString(), record.Snapshot.Time, manifest.Location,
                [.. manifest.Objects.Select(o => new BucketListItem(o.Key, o.Size, o.ContentType, o.ETag, o.LastModified, o.Metadata))]));
            return ExitCodes.Ok;
        }

        foreach (var o in manifest.Objects)
        {
            var time = o.LastModified?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
            Console.Out.WriteLine($"{Bytes.Format(o.Size),10}  {time}  {o.ContentType ?? "-",-24}  {o.Key}");
        }

        return ExitCodes.Ok;
    }
}

internal sealed record BucketBackupOutput(
    string Snapshot, DateTimeOffset Time, string Source, SnapshotSummary Summary, int Objects, int UnchangedObjects, int DownloadedObjects,
    int ChangedWhileRead, IReadOnlyList<string> Vanished, IReadOnlyList<CopyOutcome>? Copies);

internal sealed record BucketListItem(string Key, long Size, string? ContentType, string ETag, DateTimeOffset? LastModified, IReadOnlyDictionary<string, string> Metadata);

internal sealed record BucketListOutput(string Snapshot, DateTimeOffset Time, string Location, IReadOnlyList<BucketListItem> Objects);
