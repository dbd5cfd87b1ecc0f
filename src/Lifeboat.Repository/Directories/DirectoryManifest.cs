using System.Text.Json.Nodes;

namespace Lifeboat.Repository.Directories;

/// <summary>The type of a directory snapshot's entry, as written in its <c>type</c> field.</summary>
public enum EntryType
{
    File,
    Directory,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
}

/// <summary>
/// One entry of a directory snapshot (repository-format.md §8.1): its path in the snapshot, type, permission bits,
/// owner, modification time and, by type, size and the identity of its file (regular file: its content is the
/// stream of the same name), link target, or device number.
/// </summary>
public sealed record DirectoryEntry
{
    /// <summary>The path in the snapshot: the root's name, then the names below it, joined with <c>/</c>.</summary>
    public required string Path { get; init; }

    public required EntryType Type { get; init; }

    /// <summary>The permission bits with set-user-id, set-group-id and sticky (<c>07777</c> at most).</summary>
    public required int Mode { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>The owner's user name, when the backing-up host knew it.</summary>
    public string? User { get; init; }

    /// <summary>The owner's group name, when the backing-up host knew it.</summary>
    public string? Group { get; init; }

    /// <summary>Modification time: seconds since 1970-01-01 UTC.</summary>
    public long MtimeSeconds { get; init; }

    /// <summary>Modification time: the nanoseconds within the second (0 to 999,999,999).</summary>
    public int MtimeNanoseconds { get; init; }

    /// <summary>A regular file's size in bytes (as stored); 0 for other types.</summary>
    public long Size { get; init; }

    /// <summary>The file's inode number when it was backed up (for the unchanged-file shortcut).</summary>
    public ulong Inode { get; init; }

    /// <summary>The file system's device number when it was backed up: major × 2³² + minor.</summary>
    public ulong Device { get; init; }

    /// <summary>A symbolic link's target, as stored in the link (not resolved).</summary>
    public string? Target { get; init; }

    /// <summary>A character or block device's number: major × 2³² + minor.</summary>
    public ulong Rdev { get; init; }
}

/// <summary>A path the backup could not read, and why; the snapshot lacks it (or, for a directory, what is below it).</summary>
public sealed record DirectoryProblem(string Path, string Reason);

/// <summary>
/// The manifest of a directory snapshot (<c>"kind":"directory"</c>, repository-format.md §8.1): the roots backed
/// up, the excludes, every entry, and what could not be read or changed while read. Regular files' contents are
/// the snapshot's streams, named by the entries' paths.
/// </summary>
public sealed record DirectoryManifest
{
    /// <summary>The snapshot kind of a directory backup.</summary>
    public const string Kind = "directory";

    /// <summary>The value of the manifest's <c>format</c> field; a reader refuses another.</summary>
    public const string Format = "lifeboat directory v1";

    /// <summary>The absolute paths given to <c>backup --path</c>, in order.</summary>
    public required IReadOnlyList<string> Roots { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    public bool CrossFileSystems { get; init; }

    /// <summary>Every entry, each directory before what it holds.</summary>
    public required IReadOnlyList<DirectoryEntry> Entries { get; init; }

    /// <summary>Paths that could not be read (the backup went on without them).</summary>
    public IReadOnlyList<DirectoryProblem> Unreadable { get; init; } = [];

    /// <summary>Regular files whose size or time changed while they were read (stored as read).</summary>
    public IReadOnlyList<DirectoryProblem> Changed { get; init; } = [];

    /// <summary>Regular files taken from the parent snapshot without being read (same size, time, inode and device).</summary>
    public int UnchangedFiles { get; init; }

    private static readonly Dictionary<EntryType, string> TypeNames = new()
    {
        [EntryType.File] = "file",
        [EntryType.Directory] = "dir",
        [EntryType.Symlink] = "symlink",
        [EntryType.Fifo] = "fifo",
        [EntryType.Socket] = "socket",
        [EntryType.CharDevice] = "chardev",
        [EntryType.BlockDevice] = "blockdev",
    };

    /// <summary>The manifest as stored in the snapshot.</summary>
    public JsonObject ToJson()
    {
        var entries = new JsonArray();
        foreach (var e in Entries)
        {
            var node = new JsonObject
            {
                ["path"] = e.Path,
                ["type"] = TypeNames[e.Type],
                ["mode"] = e.Mode,
                ["uid"] = e.Uid,
                ["gid"] = e.Gid,
            };
            AddIfSet(node, "user", e.User);
            AddIfSet(node, "group", e.Group);
            node["mtime"] = e.MtimeSeconds;
            node["mtimeNs"] = e.MtimeNanoseconds;
            if (e.Type == EntryType.File)
            {
                node["size"] = e.Size;
                node["inode"] = e.Inode;
                node["device"] = e.Device;
            }

            AddIfSet(node, "target", e.Target);
            if (e.Type is EntryType.CharDevice or EntryType.BlockDevice)
            {
                node["rdev"] = e.Rdev;
            }

            entries.Add((JsonNode)node);
        }

        return new JsonObject
        {
            ["format"] = Format,
            ["roots"] = new JsonArray([.. Roots.Select(r => (JsonNode)r)]),
            ["excludes"] = new JsonArray([.. Excludes.Select(r => (JsonNode)r)]),
            ["crossFileSystems"] = CrossFileSystems,
            ["files"] = Entries.Count(e => e.Type == EntryType.File),
            ["directories"] = Entries.Count(e => e.Type == EntryType.Directory),
            ["unchangedFiles"] = UnchangedFiles,
            ["unreadable"] = Problems(Unreadable),
            ["changed"] = Problems(Changed),
            ["entries"] = entries,
        };
    }

    /// <summary>Reads the manifest of a directory snapshot; refuses one that is not (or of a format it does not know).</summary>
    public static DirectoryManifest Of(SnapshotRecord record)
    {
        var snapshot = record.Snapshot;
        if (snapshot.Kind != Kind)
        {
            throw new InvalidRequestException($"snapshot {record.ShortId} is a {snapshot.Kind} snapshot of '{snapshot.Source}', not of directories");
        }

        try
        {
            var json = snapshot.Manifest ?? throw new FormatException("it has no manifest");
            var format = (string?)json["format"];
            if (format != Format)
            {
                throw new FormatException($"its manifest's format is '{format}', which this release does not know (a newer Lifeboat wrote it?)");
            }

            return new DirectoryManifest
            {
                Roots = Strings(json["roots"]),
                Excludes = Strings(json["excludes"]),
                CrossFileSystems = (bool?)json["crossFileSystems"] ?? false,
                UnchangedFiles = (int?)json["unchangedFiles"] ?? 0,
                Unreadable = ReadProblems(json["unreadable"]),
                Changed = ReadProblems(json["changed"]),
                Entries = [.. (json["entries"]?.AsArray() ?? throw new FormatException("it has no entries")).Select(ReadEntry)],
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new IntegrityException($"snapshot {record.ShortId} is a directory snapshot that cannot be read: {e.Message}");
        }
    }

    private static DirectoryEntry ReadEntry(JsonNode? node)
    {
        var e = node?.AsObject() ?? throw new FormatException("an entry is null");
        var typeName = (string?)e["type"];
        var type = TypeNames.FirstOrDefault(t => t.Value == typeName);
        if (type.Value is null)
        {
            throw new FormatException($"entry '{(string?)e["path"]}' has type '{typeName}', which this release does not know");
        }

        return new DirectoryEntry
        {
            Path = (string?)e["path"] ?? throw new FormatException("an entry has no path"),
            Type = type.Key,
            Mode = (int?)e["mode"] ?? throw new FormatException($"entry '{(string?)e["path"]}' has no mode"),
            Uid = (uint?)e["uid"] ?? 0,
            Gid = (uint?)e["gid"] ?? 0,
            User = (string?)e["user"],
            Group = (string?)e["group"],
            MtimeSeconds = (long?)e["mtime"] ?? 0,
            MtimeNanoseconds = (int?)e["mtimeNs"] ?? 0,
            Size = (long?)e["size"] ?? 0,
            Inode = (ulong?)e["inode"] ?? 0,
            Device = (ulong?)e["device"] ?? 0,
            Target = (string?)e["target"],
            Rdev = (ulong?)e["rdev"] ?? 0,
        };
    }

    private static void AddIfSet(JsonObject node, string name, string? value)
    {
        if (value is not null)
        {
            node[name] = value;
        }
    }

    private static JsonArray Problems(IReadOnlyList<DirectoryProblem> problems) =>
        new([.. problems.Select(p => (JsonNode)new JsonObject { ["path"] = p.Path, ["reason"] = p.Reason })]);

    private static List<DirectoryProblem> ReadProblems(JsonNode? node) =>
        node is null ? [] : [.. node.AsArray().Select(p => new DirectoryProblem((string?)p?["path"] ?? "", (string?)p?["reason"] ?? ""))];

    private static List<string> Strings(JsonNode? node) =>
        node is null ? [] : [.. node.AsArray().Select(s => (string?)s ?? throw new FormatException("a null string"))];
}
