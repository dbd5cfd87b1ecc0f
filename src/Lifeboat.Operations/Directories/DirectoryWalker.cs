using System.Threading.Channels;
using Lifeboat.Repository.Directories;

namespace Lifeboat.Operations.Directories;

/// <summary>A regular file the walk found, to be stored: its entry and where it is on disk.</summary>
internal sealed record FoundFile(DirectoryEntry Entry, string FullPath);

/// <summary>
/// Walks the trees of a directory backup depth first, names in ordinal order, never following a symbolic link:
/// every entry goes to <see cref="Entries"/> (a directory before what it holds), every regular file also to the
/// channel the readers take from. Excluded paths are left out, with what is below them; a directory on another
/// file system is kept but not entered unless <c>crossFileSystems</c>. What cannot be read is reported and left out.
/// </summary>
internal sealed class DirectoryWalker(
    IReadOnlyList<PathGlob> excludes, bool crossFileSystems, OwnerNames names, Action<DirectoryProblem> unreadable)
{
    public List<DirectoryEntry> Entries { get; } = [];

    /// <summary>Walks the tree at <paramref name="fullPath"/>, named <paramref name="name"/> in the snapshot.</summary>
    public async Task WalkAsync(string fullPath, string name, ChannelWriter<FoundFile> files, CancellationToken cancellationToken)
    {
        FileStatus root;
        try
        {
            root = NativeFiles.Stat(fullPath);
        }
        catch (IOException e)
        {
            unreadable(new DirectoryProblem(name, e.Message));
            return;
        }

        await VisitAsync(fullPath, name, root, root.Device, files, cancellationToken);
    }

    private async Task VisitAsync(string fullPath, string path, FileStatus status, ulong rootDevice, ChannelWriter<FoundFile> files, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = new DirectoryEntry
        {
            Path = path,
            Type = status.Type,
            Mode = status.Mode,
            Uid = status.Uid,
            Gid = status.Gid,
            User = names.User(status.Uid),
            Group = names.Group(status.Gid),
            MtimeSeconds = status.MtimeSeconds,
            MtimeNanoseconds = status.MtimeNanoseconds,
            Size = status.Type == EntryType.File ? status.Size : 0,
            Inode = status.Type == EntryType.File ? status.Inode : 0,
            Device = status.Type == EntryType.File ? status.Device : 0,
            Rdev = status.Type is EntryType.CharDevice or EntryType.BlockDevice ? status.Rdev : 0,
        };
        if (status.Type == EntryType.Symlink)
        {
            try
            {
                entry = entry with { Target = new FileInfo(fullPath).LinkTarget ?? throw new IOException("the link has gone") };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                unreadable(new DirectoryProblem(path, e.Message));
                return;
            }
        }

        Entries.Add(entry);
        if (status.Type == EntryType.File)
        {
            await files.WriteAsync(new FoundFile(entry, fullPath), cancellationToken);
        }
        else if (status.Type == EntryType.Directory && (crossFileSystems || status.Device == rootDevice))
        {
            foreach (var child in Children(fullPath, path))
            {
                await VisitChildAsync(Path.Combine(fullPath, child), path + "/" + child, rootDevice, files, cancellationToken);
            }
        }
    }

    private async Task VisitChildAsync(string fullPath, string path, ulong rootDevice, ChannelWriter<FoundFile> files, CancellationToken cancellationToken)
    {
        if (excludes.Any(x => x.IsMatch(x.MatchesWholePath ? fullPath : path)))
        {
            return;
        }

        FileStatus status;
        try
        {
            status = NativeFiles.Stat(fullPath);
        }
        catch (IOException e)
        {
            unreadable(new DirectoryProblem(path, e.Message));
            return;
        }

        await VisitAsync(fullPath, path, status, rootDevice, files, cancellationToken);
    }

    /// <summary>The names in a directory, ordinal order; none (and a problem reported) when it cannot be listed.</summary>
    private List<string> Children(string fullPath, string path)
    {
        var children = new List<string>();
        try
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(fullPath))
            {
                var name = Path.GetFileName(child);
                if (name.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    // .NET decodes file names as UTF-8; a name that is not cannot be opened by the decoded name
                    unreadable(new DirectoryProblem(path + "/" + name, "the name is not valid UTF-8"));
                    continue;
                }

                children.Add(name);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            unreadable(new DirectoryProblem(path, "cannot list the directory: " + e.Message));
        }

        children.Sort(StringComparer.Ordinal);
        return children;
    }
}
