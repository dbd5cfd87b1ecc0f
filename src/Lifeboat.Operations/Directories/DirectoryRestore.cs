using System.Collections.Concurrent;
using Lifeboat.Operations.Audit;
using Lifeboat.Repository;
using Lifeboat.Repository.Directories;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations.Directories;

/// <summary>What <see cref="DirectoryRestore"/> restores: a directory snapshot, or the parts of it <see cref="Includes"/> names, into a directory.</summary>
public sealed record DirectoryRestoreRequest(string Snapshot, string Target)
{
    /// <summary>Patterns (<see cref="PathGlob"/>) of snapshot paths to restore, with all below them; everything when empty.</summary>
    public IReadOnlyList<string> Includes { get; init; } = [];

    /// <summary>Restore into a target that is not empty, replacing files of the same names.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Files written at once.</summary>
    public int WriteConcurrency { get; init; } = 4;
}

/// <summary>How far a directory restore is: files and bytes written of those to write.</summary>
public sealed record DirectoryRestoreProgress(long Files, long FilesTotal, long Bytes, long BytesTotal);

/// <summary>What a directory restore wrote.</summary>
/// <param name="OwnersSet">Whether owners were given back (only a restore run as root can).</param>
/// <param name="NotRecreated">Entries of types a restore does not create (sockets, devices), by path.</param>
public sealed record DirectoryRestoreResult(
    string SnapshotId, string Target, int Files, int Directories, int Symlinks, long Bytes, bool OwnersSet, IReadOnlyList<string> NotRecreated);

/// <summary>The target of a directory restore is not empty, and overwriting was not asked for.</summary>
public sealed class DirectoryNotEmptyException(string message) : Exception(message);

/// <summary>
/// Recreates a directory snapshot's entries under a target directory: names, modes, times, symbolic links, named
/// pipes, and owners when run as root. Every file and link is written under a temporary name
/// (<c>.NAME.lifeboat-partial</c>), verified (size and SHA-256), given its mode, owner and time, and only then renamed
/// to its name, so a killed restore never leaves a file that looks complete but is not. Directories get their modes
/// and times last, deepest first.
/// </summary>
public sealed class DirectoryRestore(IRepositoryOpener repository)
{
    /// <summary>The suffix of a file being written.</summary>
    public const string PartialSuffix = ".lifeboat-partial";

    public async Task<DirectoryRestoreResult> RunAsync(DirectoryRestoreRequest request, IProgress<DirectoryRestoreProgress>? progress, CancellationToken cancellationToken)
    {
        var opened = await repository.OpenAsync(cancellationToken);
        return await OperationAudit.RunAsync(
            opened, "restore", ct => RestoreAsync(opened, request, progress, ct),
            (done, _) => Task.FromResult(new AuditFacts { Source = done.Target, Snapshots = [done.SnapshotId], Bytes = done.Bytes }),
            cancellationToken, request.Target);
    }

    private static async Task<DirectoryRestoreResult> RestoreAsync(
        BackupRepository repository, DirectoryRestoreRequest request, IProgress<DirectoryRestoreProgress>? progress, CancellationToken cancellationToken)
    {
        var target = Path.GetFullPath(request.Target);
        if (!request.Overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new DirectoryNotEmptyException($"{target} is not empty: restore into an empty or new directory, or give --overwrite to replace files of the same names");
        }

        if (NativeFiles.TypeAt(target) is { } type && type != EntryType.Directory)
        {
            throw new DirectoryNotEmptyException($"{target} exists and is not a directory");
        }

        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "restore", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, request.Snapshot, cancellationToken);
        var manifest = DirectoryManifest.Of(record);
        var entries = Selected(manifest.Entries, request.Includes.Select(p => new PathGlob(p)).ToList(), record.ShortId);
        var streams = record.Snapshot.Streams.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var files = entries.Where(e => e.Type == EntryType.File).Select(e => (Entry: e, Stream: streams.GetValueOrDefault(e.Path)
            ?? throw new IntegrityException($"snapshot {record.ShortId} lists the file '{e.Path}' but holds no stream of that name"))).ToList();
        var owners = NativeFiles.IsRoot;
        Directory.CreateDirectory(target);
        foreach (var directory in entries.Where(e => e.Type == EntryType.Directory))
        {
            MakeDirectory(Path.Combine(target, directory.Path), request.Overwrite);
        }

        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var restorer = new StreamRestorer(new BlobReader(repository, index), Math.Max(4, Environment.ProcessorCount * 2));
        var written = new Written(progress, files.Count, files.Sum(f => f.Stream.Size));
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.WriteConcurrency), CancellationToken = cancellationToken },
            async (file, ct) =>
            {
                await WriteFileAsync(restorer, file.Entry, file.Stream, Path.Combine(target, file.Entry.Path), request.Overwrite, owners, ct);
                written.Add(file.Stream.Size);
            });

        var notRecreated = new List<string>();
        foreach (var entry in entries.Where(e => e.Type is not (EntryType.File or EntryType.Directory)))
        {
            if (!WriteSpecial(entry, Path.Combine(target, entry.Path), request.Overwrite, owners))
            {
                notRecreated.Add(entry.Path);
            }
        }

        foreach (var directory in entries.Where(e => e.Type == EntryType.Directory).Reverse())
        {
            SetAttributes(Path.Combine(target, directory.Path), directory, owners, mode: true);
        }

        return new DirectoryRestoreResult(
            record.Id.ToString(), target, files.Count, entries.Count(e => e.Type == EntryType.Directory), entries.Count(e => e.Type == EntryType.Symlink),
            files.Sum(f => f.Stream.Size), owners, notRecreated);
    }

    /// <summary>
    /// The entries to restore: those a pattern matches, what is below them, and the directories above them. Refuses a
    /// path that could leave the target (absolute, empty parts, <c>.</c> or <c>..</c>) or whose parent is not a
    /// directory entry of the snapshot.
    /// </summary>
    private static List<DirectoryEntry> Selected(IReadOnlyList<DirectoryEntry> entries, List<PathGlob> includes, string snapshot)
    {
        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var parts = entry.Path.Split('/');
            if (parts.Any(p => p.Length == 0 || p == "." || p == ".." || p.Contains('\0', StringComparison.Ordinal)))
            {
                throw new IntegrityException($"snapshot {snapshot} holds an entry with the path '{entry.Path}', which a restore refuses (it could write outside the target)");
            }

            if (parts.Length > 1 && !directories.Contains(entry.Path[..entry.Path.LastIndexOf('/')]))
            {
                throw new IntegrityException($"snapshot {snapshot} holds '{entry.Path}' without its directory before it");
            }

            if (entry.Type == EntryType.Directory)
            {
                directories.Add(entry.Path);
            }
        }

        if (includes.Count == 0)
        {
            return [.. entries];
        }

        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var parts = entry.Path.Split('/');
            for (var i = 1; i <= parts.Length; i++)
            {
                var prefix = string.Join('/', parts[..i]);
                if (includes.Any(p => p.IsMatch(prefix)))
                {
                    chosen.Add(entry.Path);
                    for (var j = 1; j < parts.Length; j++)
                    {
                        chosen.Add(string.Join('/', parts[..j]));
                    }

                    break;
                }
            }
        }

        if (chosen.Count == 0)
        {
            throw new NotFoundException($"no path of snapshot {snapshot} matches {string.Join(", ", includes.Select(p => p.Pattern))} (see 'lifeboat ls {snapshot}')");
        }

        return [.. entries.Where(e => chosen.Contains(e.Path))];
    }

    /// <summary>Creates a directory; with <paramref name="overwrite"/>, a file or link in its place is removed first (never followed).</summary>
    private static void MakeDirectory(string path, bool overwrite)
    {
        if (NativeFiles.TypeAt(path) is { } type && type != EntryType.Directory)
        {
            if (!overwrite)
            {
                throw new DirectoryNotEmptyException($"{path} exists and is not a directory: give --overwrite to replace it");
            }

            File.Delete(path);
        }

        Directory.CreateDirectory(path);
    }

    private static async Task WriteFileAsync(
        StreamRestorer restorer, DirectoryEntry entry, SnapshotStream stream, string path, bool overwrite, bool owners, CancellationToken cancellationToken)
    {
        var temporary = TemporaryName(path);
        // one left by a killed restore goes first (a link there would otherwise be followed)
        File.Delete(temporary);
        try
        {
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                // verified as it is written: StreamRestorer checks every blob, the size and the SHA-256
                await restorer.WriteToAsync(stream, file, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            SetAttributes(temporary, entry, owners, mode: true);
            Publish(temporary, path, overwrite);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Creates a symbolic link or named pipe; false for a type a restore does not create.</summary>
    private static bool WriteSpecial(DirectoryEntry entry, string path, bool overwrite, bool owners)
    {
        var temporary = TemporaryName(path);
        // one left by a killed restore goes first (a link there would otherwise be followed)
        File.Delete(temporary);
        try
        {
            switch (entry.Type)
            {
                case EntryType.Symlink:
                    File.CreateSymbolicLink(temporary, entry.Target ?? "");
                    SetAttributes(temporary, entry, owners, mode: false);
                    break;
                case EntryType.Fifo:
                    NativeFiles.MakeFifo(temporary, entry.Mode);
                    SetAttributes(temporary, entry, owners, mode: true);
                    break;
                default:
                    return false;
            }

            Publish(temporary, path, overwrite);
            return true;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Renames the complete file to its name; one there already is replaced only with <paramref name="overwrite"/>.</summary>
    private static void Publish(string temporary, string path, bool overwrite)
    {
        var there = NativeFiles.TypeAt(path);
        if (there is not null && !overwrite)
        {
            throw new DirectoryNotEmptyException($"{path} exists: give --overwrite to replace it");
        }

        if (there == EntryType.Directory)
        {
            throw new DirectoryNotEmptyException($"{path} is a directory in the target; a file of the snapshot has that name");
        }

        // rename(2) replaces a file or link in one step and never follows one (File.Move refuses a link to a directory)
        NativeFiles.Rename(temporary, path);
    }

    private static void SetAttributes(string path, DirectoryEntry entry, bool owners, bool mode)
    {
        if (owners)
        {
            NativeFiles.SetOwner(path, entry.Uid, entry.Gid);
        }

        if (mode && !OperatingSystem.IsWindows())
        {
            // after chown, which clears set-user-id and set-group-id
            File.SetUnixFileMode(path, (UnixFileMode)entry.Mode);
        }

        NativeFiles.SetTimes(path, entry.MtimeSeconds, entry.MtimeNanoseconds);
    }

    private static string TemporaryName(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + PartialSuffix);

    private sealed class Written(IProgress<DirectoryRestoreProgress>? progress, long files, long bytes)
    {
        private long _files;
        private long _bytes;

        public void Add(long size)
        {
            var done = Interlocked.Increment(ref _files);
            var total = Interlocked.Add(ref _bytes, size);
            progress?.Report(new DirectoryRestoreProgress(done, files, total, bytes));
        }
    }
}
