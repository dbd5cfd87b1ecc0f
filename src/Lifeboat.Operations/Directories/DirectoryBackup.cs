using System.Collections.Concurrent;
using System.Threading.Channels;
using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Directories;
using Lifeboat.Repository.Format;

namespace Lifeboat.Operations.Directories;

/// <summary>What <see cref="DirectoryBackup"/> backs up: directory trees (or single files) and the snapshot's labels.</summary>
/// <param name="Paths">The trees, each stored under its last name (two with one name are refused).</param>
public sealed record DirectoryBackupRequest(IReadOnlyList<string> Paths)
{
    /// <summary>Patterns of paths left out (<see cref="PathGlob"/>: a name, or with a <c>/</c> an absolute path).</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>Enter directories on other file systems too (by default a mount point is stored, empty).</summary>
    public bool CrossFileSystems { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The time to record instead of now.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Files read at once (each is chunked in parallel as well).</summary>
    public int ReadConcurrency { get; init; } = 4;

    /// <summary>Further repositories the new snapshot is copied to (<see cref="SnapshotCopies"/>).</summary>
    public IReadOnlyList<IRepositoryOpener> AlsoTo { get; init; } = [];
}

/// <summary>How far a directory backup is.</summary>
public sealed record DirectoryBackupProgress(long Files, long UnchangedFiles, long BytesRead, long StoredBytes, int Problems);

/// <summary>The outcome of a directory backup; <see cref="Partial"/> when something could not be read.</summary>
public sealed record DirectoryBackupResult(SnapshotRecord Record, DirectoryManifest Manifest, SnapshotCopies Copies)
{
    public bool Partial => Manifest.Unreadable.Count > 0;
}

/// <summary>
/// Backs up directory trees as a snapshot of kind <c>directory</c> (repository-format.md §8.1): every regular file a
/// stream, the tree's entries in the manifest. A file with the size, time, inode and device it had in the latest
/// snapshot of the same paths is taken from it without being read.
/// </summary>
public sealed class DirectoryBackup(IRepositoryOpener repository, BackupWriterOptions options)
{
    /// <summary>Opens the repository (and the also-to ones), backs up, then records evidence and an audit record.</summary>
    public async Task<DirectoryBackupResult> RunAsync(DirectoryBackupRequest request, IProgress<DirectoryBackupProgress>? progress, CancellationToken cancellationToken)
    {
        var roots = Roots(request.Paths);
        var excludes = request.Excludes.Select(x => new PathGlob(x)).ToList();
        var opened = await repository.OpenAsync(cancellationToken);
        var targets = await SnapshotCopies.OpenAsync(request.AlsoTo, cancellationToken);
        var started = opened.Context.Time.GetUtcNow();
        var source = string.Join(" ", roots.Select(r => r.FullPath));
        var (record, manifest) = await OperationAudit.RunAsync(
            opened, "backup", ct => BackupAsync(opened, request, roots, excludes, progress, ct),
            (done, ct) => OperationEvidence.ForBackupAsync(opened, done.Record, null, Warnings(done.Manifest), started, ct), cancellationToken, source);
        return new DirectoryBackupResult(record, manifest, new SnapshotCopies(opened, record, targets));
    }

    /// <summary>The paths made absolute, each with its name in the snapshot.</summary>
    private static List<(string FullPath, string Name)> Roots(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            throw new InvalidRequestException("say which directories to back up: --path DIR");
        }

        var roots = new List<(string FullPath, string Name)>();
        foreach (var path in paths)
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            var name = Path.GetFileName(full);
            if (name.Length == 0)
            {
                throw new InvalidRequestException($"--path {path}: the root directory has no name to store it under; back up the directories in it");
            }

            if (!Path.Exists(full))
            {
                throw new NotFoundException($"--path {path}: {full} does not exist");
            }

            if (roots.Any(r => r.Name == name))
            {
                throw new InvalidRequestException($"--path {path}: another path is named '{name}' too (each is stored under its last name)");
            }

            roots.Add((full, name));
        }

        return roots;
    }

    private async Task<(SnapshotRecord Record, DirectoryManifest Manifest)> BackupAsync(
        BackupRepository repository, DirectoryBackupRequest request, List<(string FullPath, string Name)> roots, List<PathGlob> excludes,
        IProgress<DirectoryBackupProgress>? progress, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", cancellationToken);
        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var parent = await ParentFiles.LoadAsync(repository, index, [.. roots.Select(r => r.FullPath)], cancellationToken);
        var run = new Run(progress);
        var writer = new BackupWriter(repository, index, options with { Lock = held, Progress = run });
        run.Stats = writer.Stats;
        var walker = new DirectoryWalker(excludes, request.CrossFileSystems, OwnerNames.Load(), run.Unreadable);
        var files = Channel.CreateBounded<FoundFile>(new BoundedChannelOptions(256) { SingleWriter = true });
        var readers = Enumerable.Range(0, Math.Max(1, request.ReadConcurrency))
            .Select(_ => Task.Run(() => ReadFilesAsync(files.Reader, writer, parent, run, cancellationToken), cancellationToken)).ToList();
        try
        {
            foreach (var (fullPath, name) in roots)
            {
                await walker.WalkAsync(fullPath, name, files.Writer, cancellationToken);
            }

            files.Writer.Complete();
        }
        catch (Exception e)
        {
            files.Writer.Complete(e);
            await Task.WhenAll(readers).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }

        await Task.WhenAll(readers);
        var manifest = new DirectoryManifest
        {
            Roots = [.. roots.Select(r => r.FullPath)],
            Excludes = request.Excludes,
            CrossFileSystems = request.CrossFileSystems,
            Entries = [.. walker.Entries.Select(e => e.Type == EntryType.File ? run.Stored.GetValueOrDefault(e.Path) : e).OfType<DirectoryEntry>()],
            Unreadable = [.. run.UnreadablePaths.OrderBy(p => p.Path, StringComparer.Ordinal)],
            Changed = [.. run.ChangedPaths.OrderBy(p => p.Path, StringComparer.Ordinal)],
            UnchangedFiles = (int)run.UnchangedFiles,
        };
        var record = await writer.CommitAsync(
            new SnapshotDescription(DirectoryManifest.Kind, string.Join(" ", manifest.Roots), request.Tags, ProgramInfo.Name)
            {
                Time = request.Time,
                Manifest = manifest.ToJson(),
            },
            cancellationToken);
        return (record, manifest);
    }

    /// <summary>Stores the files the walk finds until it ends: from the parent snapshot when unchanged, else read.</summary>
    private static async Task ReadFilesAsync(ChannelReader<FoundFile> files, BackupWriter writer, ParentFiles parent, Run run, CancellationToken cancellationToken)
    {
        await foreach (var (entry, fullPath) in files.ReadAllAsync(cancellationToken))
        {
            if (parent.Unchanged(entry) is { } stream)
            {
                writer.AddExistingStream(stream);
                run.Store(entry, unchanged: true);
                continue;
            }

            FileStream file;
            try
            {
                file = new FileStream(fullPath, new FileStreamOptions
                {
                    Mode = FileMode.Open,
                    Access = FileAccess.Read,
                    Share = FileShare.ReadWrite | FileShare.Delete,
                    BufferSize = 0,
                    Options = FileOptions.SequentialScan,
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                run.Unreadable(new DirectoryProblem(entry.Path, e.Message));
                continue;
            }

            SnapshotStream stored;
            await using (var source = new SourceStream(file))
            {
                try
                {
                    stored = await writer.AddStreamAsync(entry.Path, source, cancellationToken);
                }
                catch (SourceReadException e)
                {
                    run.Unreadable(new DirectoryProblem(entry.Path, e.Message));
                    continue;
                }
            }

            run.Store(entry with { Size = stored.Size }, unchanged: false);
            if (ChangeWhileRead(entry, fullPath, stored.Size) is { } change)
            {
                run.ChangedPaths.Add(new DirectoryProblem(entry.Path, change));
            }
        }
    }

    /// <summary>How the file differs from what it was before it was read, or null when it does not.</summary>
    private static string? ChangeWhileRead(DirectoryEntry before, string fullPath, long bytesRead)
    {
        try
        {
            var after = NativeFiles.Stat(fullPath);
            if (after.Inode != before.Inode || after.Device != before.Device)
            {
                return "replaced while read (stored as read)";
            }

            if (after.Size != before.Size || bytesRead != before.Size || after.MtimeSeconds != before.MtimeSeconds || after.MtimeNanoseconds != before.MtimeNanoseconds)
            {
                return $"changed while read: {before.Size} bytes before, {bytesRead} read, {after.Size} after (stored as read)";
            }

            return null;
        }
        catch (IOException e)
        {
            return "gone after it was read (stored as read): " + e.Message;
        }
    }

    /// <summary>The evidence report's warnings: each unreadable path (check <c>unreadable</c>), each file changed while read (<c>changed</c>).</summary>
    private static List<EvidenceWarning> Warnings(DirectoryManifest manifest) =>
    [
        .. manifest.Unreadable.Select(p => new EvidenceWarning("unreadable", p.Path, $"could not read {p.Path}: {p.Reason.TrimEnd('.')}; it is not in the snapshot (of a directory: what is below it)")),
        .. manifest.Changed.Select(p => new EvidenceWarning("changed", p.Path, $"{p.Path}: {p.Reason}")),
    ];

    /// <summary>The shared state of one backup's walker and readers, and its progress.</summary>
    private sealed class Run(IProgress<DirectoryBackupProgress>? progress) : IProgress<BackupStats>
    {
        private long _files;
        private long _unchanged;

        public BackupStats? Stats { get; set; }

        public ConcurrentDictionary<string, DirectoryEntry> Stored { get; } = new(StringComparer.Ordinal);

        public ConcurrentBag<DirectoryProblem> UnreadablePaths { get; } = [];

        public ConcurrentBag<DirectoryProblem> ChangedPaths { get; } = [];

        public long UnchangedFiles => Interlocked.Read(ref _unchanged);

        public void Unreadable(DirectoryProblem problem)
        {
            UnreadablePaths.Add(problem);
            Report();
        }

        public void Store(DirectoryEntry entry, bool unchanged)
        {
            Stored[entry.Path] = entry;
            Interlocked.Increment(ref _files);
            if (unchanged)
            {
                Interlocked.Increment(ref _unchanged);
            }

            Report();
        }

        public void Report(BackupStats value) => Report();

        private void Report() => progress?.Report(new DirectoryBackupProgress(
            Interlocked.Read(ref _files), Interlocked.Read(ref _unchanged), Stats?.BytesRead ?? 0, Stats?.StoredBytes ?? 0,
            UnreadablePaths.Count + ChangedPaths.Count));
    }
}

/// <summary>The regular files of the latest directory snapshot of the same roots, by path, for the unchanged-file shortcut.</summary>
internal sealed class ParentFiles
{
    private readonly Dictionary<string, (DirectoryEntry Entry, SnapshotStream Stream)> _files;

    private ParentFiles(Dictionary<string, (DirectoryEntry Entry, SnapshotStream Stream)> files) => _files = files;

    /// <summary>
    /// The files of the newest readable directory snapshot with exactly these roots whose tree blobs are all indexed;
    /// none when there is no such snapshot.
    /// </summary>
    public static async Task<ParentFiles> LoadAsync(BackupRepository repository, MasterIndex index, IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        var (records, _) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
        var files = new Dictionary<string, (DirectoryEntry, SnapshotStream)>(StringComparer.Ordinal);
        foreach (var record in records.Where(r => r.Snapshot.Kind == DirectoryManifest.Kind).OrderByDescending(r => r.Snapshot.Time))
        {
            DirectoryManifest manifest;
            try
            {
                manifest = DirectoryManifest.Of(record);
            }
            catch (IntegrityException)
            {
                continue;
            }

            if (!manifest.Roots.SequenceEqual(roots, StringComparer.Ordinal))
            {
                continue;
            }

            var streams = record.Snapshot.Streams.ToDictionary(s => s.Name, StringComparer.Ordinal);
            foreach (var entry in manifest.Entries.Where(e => e.Type == EntryType.File))
            {
                if (streams.TryGetValue(entry.Path, out var stream) && stream.Size == entry.Size &&
                    stream.Trees.All(t => BlobId.TryParse(t, out var id) && index.Contains(id)))
                {
                    files[entry.Path] = (entry, stream);
                }
            }

            break;
        }

        return new ParentFiles(files);
    }

    /// <summary>The stored stream of <paramref name="entry"/> when the parent has the file with the same size, time, inode and device.</summary>
    public SnapshotStream? Unchanged(DirectoryEntry entry) =>
        _files.TryGetValue(entry.Path, out var parent) && parent.Entry.Size == entry.Size && parent.Entry.MtimeSeconds == entry.MtimeSeconds &&
        parent.Entry.MtimeNanoseconds == entry.MtimeNanoseconds && parent.Entry.Inode == entry.Inode && parent.Entry.Device == entry.Device
            ? parent.Stream
            : null;
}

/// <summary>A failure to read a source file (not of the repository): the file is reported and the backup goes on.</summary>
internal sealed class SourceReadException(string message, Exception inner) : Exception(message, inner);

/// <summary>Reads a source file, turning its read failures into <see cref="SourceReadException"/>.</summary>
internal sealed class SourceStream(FileStream file) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return file.Read(buffer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SourceReadException(e.Message, e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await file.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SourceReadException(e.Message, e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await file.DisposeAsync();
        await base.DisposeAsync();
    }
}
