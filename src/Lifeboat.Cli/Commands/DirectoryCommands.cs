using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Operations.Directories;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Directories;

namespace Lifeboat.Cli.Commands;

/// <summary>The directory parts of <c>backup --path</c>, <c>restore --to-dir</c> and <c>ls</c>.</summary>
internal static class DirectoryCommands
{
    /// <summary>Backs up <paramref name="request"/>; exit <see cref="ExitCodes.Partial"/> when something could not be read.</summary>
    public static async Task<int> BackupAsync(CliContext context, DirectoryBackupRequest request)
    {
        var repository = context.RepositoryOpener;
        _ = context.Password;
        var backup = new DirectoryBackup(repository, new BackupWriterOptions { UploadConcurrency = context.Connections });
        var progress = new LatestProgress<DirectoryBackupProgress>();
        DirectoryBackupResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { } p
            ? $"backup: {p.Files} file(s) ({p.UnchangedFiles} unchanged), {Progress.Transfer(p.BytesRead, null, elapsed)}, {Bytes.Format(p.StoredBytes)} new stored" +
                (p.Problems > 0 ? $", {p.Problems} problem(s)" : "")
            : "backup: starting"))
        {
            result = await backup.RunAsync(request with { AlsoTo = AlsoTo.Openers(context) }, progress, context.CancellationToken);
        }

        var manifest = result.Manifest;
        foreach (var problem in manifest.Unreadable)
        {
            // on stderr even with --quiet or --json: what a snapshot lacks is what a cron mail must carry
            Console.Error.WriteLine($"lifeboat: error: could not read {problem.Path}: {problem.Reason}");
        }

        foreach (var problem in manifest.Changed)
        {
            Console.Error.WriteLine($"lifeboat: warning: {problem.Path}: {problem.Reason}");
        }

        var record = result.Record;
        var summary = record.Snapshot.Summary;
        var files = manifest.Entries.Count(e => e.Type == EntryType.File);
        if (!context.Json)
        {
            var partial = result.Partial ? $"; {manifest.Unreadable.Count} path(s) could not be read and are not in it" : "";
            context.Info($"snapshot {record.ShortId} saved: {files} file(s) ({manifest.UnchangedFiles} unchanged, not read again), " +
                $"{manifest.Entries.Count(e => e.Type == EntryType.Directory)} director(y/ies), {Bytes.Format(summary.BytesRead)} read, {Bytes.Format(summary.NewBytes)} new " +
                $"({Bytes.Format(summary.StoredBytes)} stored after compression), {summary.Seconds:0.0} s{partial}");
        }

        var (outcomes, exitCode) = result.Copies.Any ? await AlsoTo.CopyAsync(context, result.Copies) : ([], ExitCodes.Ok);
        if (context.Json)
        {
            context.WriteJson(new DirectoryBackupOutput(
                record.Id.ToString(), record.Snapshot.Time, record.Snapshot.Source, summary, files, manifest.Entries.Count(e => e.Type == EntryType.Directory),
                manifest.UnchangedFiles, manifest.Unreadable, manifest.Changed, result.Copies.Any ? outcomes : null));
        }

        return exitCode != ExitCodes.Ok ? exitCode : result.Partial ? ExitCodes.Partial : ExitCodes.Ok;
    }

    /// <summary>Restores a directory snapshot into a directory.</summary>
    public static async Task<int> RestoreAsync(CliContext context, DirectoryRestoreRequest request)
    {
        var progress = new LatestProgress<DirectoryRestoreProgress>();
        DirectoryRestoreResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { } p
            ? $"restore: {p.Files}/{p.FilesTotal} file(s), {Progress.Transfer(p.Bytes, p.BytesTotal, elapsed)}"
            : "restore: opening the snapshot"))
        {
            result = await new DirectoryRestore(context.RepositoryOpener).RunAsync(request, progress, context.CancellationToken);
        }

        if (context.Json)
        {
            context.WriteJson(result);
            return ExitCodes.Ok;
        }

        context.Info($"restored snapshot {result.SnapshotId[..8]} into {result.Target}: {result.Files} file(s), {result.Directories} director(y/ies), " +
            $"{result.Symlinks} symbolic link(s), {Bytes.Format(result.Bytes)}");
        if (!result.OwnersSet)
        {
            context.Info("owners were not set (only a restore run as root can): the files belong to the restoring user");
        }

        foreach (var path in result.NotRecreated)
        {
            context.Info($"not recreated (sockets and devices are not): {path}");
        }

        return ExitCodes.Ok;
    }

    /// <summary><c>ls</c> of a directory snapshot: one line per entry, as <c>ls -l</c>.</summary>
    public static int List(CliContext context, SnapshotRecord record)
    {
        var manifest = DirectoryManifest.Of(record);
        if (context.Json)
        {
            context.WriteJson(new DirectoryListOutput(record.Id.ToString(), record.Snapshot.Time, [.. manifest.Entries.Select(e => new DirectoryListItem(
                e.Path, Type(e.Type), Convert.ToString(e.Mode, 8).PadLeft(4, '0'), e.Uid, e.Gid, e.User, e.Group,
                DateTimeOffset.FromUnixTimeSeconds(e.MtimeSeconds).AddTicks(e.MtimeNanoseconds / 100), e.Size, e.Target))]));
            return ExitCodes.Ok;
        }

        foreach (var e in manifest.Entries)
        {
            var time = DateTimeOffset.FromUnixTimeSeconds(e.MtimeSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            var owner = $"{e.User ?? e.Uid.ToString(CultureInfo.InvariantCulture)}/{e.Group ?? e.Gid.ToString(CultureInfo.InvariantCulture)}";
            var link = e.Target is null ? "" : " -> " + e.Target;
            Console.Out.WriteLine($"{ModeString(e)} {owner,-16} {Bytes.Format(e.Size),10}  {time}  {e.Path}{link}");
        }

        return ExitCodes.Ok;
    }

    private static string Type(EntryType type) => type switch
    {
        EntryType.Directory => "dir",
        EntryType.Symlink => "symlink",
        EntryType.Fifo => "fifo",
        EntryType.Socket => "socket",
        EntryType.CharDevice => "chardev",
        EntryType.BlockDevice => "blockdev",
        _ => "file",
    };

    private static string ModeString(DirectoryEntry e)
    {
        var type = e.Type switch
        {
            EntryType.Directory => 'd',
            EntryType.Symlink => 'l',
            EntryType.Fifo => 'p',
            EntryType.Socket => 's',
            EntryType.CharDevice => 'c',
            EntryType.BlockDevice => 'b',
            _ => '-',
        };
        var chars = new char[10];
        chars[0] = type;
        const string letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            chars[i + 1] = (e.Mode & (1 << (8 - i))) != 0 ? letters[i] : '-';
        }

        return new string(chars);
    }
}
