using System.Text.Json.Nodes;

namespace Lifeboat.Repository.Buckets;

/// <summary>
/// One object of a bucket snapshot (repository-format.md §8.2): its key (relative to the backed-up prefix), size, content
/// type, user metadata, the ETag it had when it was read, and its last-modified time. Its bytes are the snapshot's
/// stream of the same name (<see cref="BucketManifest.StreamName"/>).
/// </summary>
public sealed record BucketObjectEntry
{
    public required string Key { get; init; }

    public required long Size { get; init; }

    public string? ContentType { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The ETag the object had when read (as the service wrote it, quotes included).</summary>
    public required string ETag { get; init; }

    public DateTimeOffset? LastModified { get; init; }
}

/// <summary>
/// The manifest of a bucket snapshot (<c>"kind":"bucket"</c>, repository-format.md §8.2): the bucket location, every
/// object, how many were taken unchanged from the previous snapshot, and the objects that vanished between the
/// listing and their download.
/// </summary>
public sealed record BucketManifest
{
    /// <summary>The snapshot kind of a bucket backup.</summary>
    public const string Kind = "bucket";

    /// <summary>The value of the manifest's <c>format</c> field; a reader refuses another.</summary>
    public const string Format = "lifeboat bucket v1";

    /// <summary>The bucket's location as given (<c>s3:https://HOST/BUCKET[/prefix]</c>), without credentials.</summary>
    public required string Location { get; init; }

    /// <summary>Every object, in key order.</summary>
    public required IReadOnlyList<BucketObjectEntry> Objects { get; init; }

    /// <summary>Objects taken from the previous snapshot of the same location without download (same key, size and ETag).</summary>
    public int UnchangedObjects { get; init; }

    /// <summary>Objects downloaded.</summary>
    public int DownloadedObjects { get; init; }

    /// <summary>Downloads retried because the object changed after it was listed (HTTP 412 on If-Match).</summary>
    public int ChangedWhileRead { get; init; }

    /// <summary>Keys listed but gone when downloaded: not in the snapshot.</summary>
    public IReadOnlyList<string> Vanished { get; init; } = [];

    /// <summary>The name of an object's stream: its key.</summary>
    public static string StreamName(string key) => key;

    /// <summary>The manifest as stored in the snapshot.</summary>
    public JsonObject ToJson()
    {
        var objects = new JsonArray();
        foreach (var o in Objects)
        {
            var metadata = new JsonObject();
            foreach (var (name, value) in o.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                metadata[name] = value;
            }

            var node = new JsonObject { ["key"] = o.Key, ["size"] = o.Size, ["etag"] = o.ETag };
            if (o.ContentType is not null)
            {
                node["contentType"] = o.ContentType;
            }

            node["metadata"] = metadata;
            if (o.LastModified is { } time)
            {
                node["lastModified"] = time.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            }

            objects.Add((JsonNode)node);
        }

        return new JsonObject
        {
            ["format"] = Format,
            ["location"] = Location,
            ["objectCount"] = Objects.Count,
            ["unchangedObjects"] = UnchangedObjects,
            ["downloadedObjects"] = DownloadedObjects,
            ["changedWhileRead"] = ChangedWhileRead,
            ["vanished"] = new JsonArray([.. Vanished.Select(v => (JsonNode)v)]),
            ["objects"] = objects,
        };
    }

    /// <summary>Reads the manifest of a bucket snapshot; refuses one that is not (or of a format it does not know).</summary>
    public static BucketManifest Of(SnapshotRecord record)
    {
        var snapshot = record.Snapshot;
        if (snapshot.Kind != Kind)
        {
            throw new InvalidRequestException($"snapshot {record.ShortId} is a {snapshot.Kind} snapshot of '{snapshot.Source}', not of a bucket");
        }

        try
        {
            var json = snapshot.Manifest ?? throw new FormatException("it has no manifest");
            var format = (string?)json["format"];
            if (format != Format)
            {
                throw new FormatException($"its manifest's format is '{format}', which this release does not know (a newer Lifeboat wrote it?)");
            }

            return new BucketManifest
            {
                Location = (string?)json["location"] ?? throw new FormatException("it has no location"),
                UnchangedObjects = (int?)json["unchangedObjects"] ?? 0,
                DownloadedObjects = (int?)json["downloadedObjects"] ?? 0,
                ChangedWhileRead = (int?)json["changedWhileRead"] ?? 0,
                Vanished = json["vanished"] is { } vanished ? [.. vanished.AsArray().Select(v => (string?)v ?? throw new FormatException("a null key"))] : [],
                Objects = [.. (json["objects"]?.AsArray() ?? throw new FormatException("it has no objects")).Select(ReadObject)],
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new IntegrityException($"snapshot {record.ShortId} is a bucket snapshot that cannot be read: {e.Message}");
        }
    }

    private static BucketObjectEntry ReadObject(JsonNode? node)
    {
        var o = node?.AsObject() ?? throw new FormatException("an object is null");
        var key = (string?)o["key"] ?? throw new FormatException("an object has no key");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in o["metadata"]?.AsObject() ?? [])
        {
            metadata[name] = (string?)value ?? "";
        }

        return new BucketObjectEntry
        {
            Key = key,
            Size = (long?)o["size"] ?? throw new FormatException($"object '{key}' has no size"),
            ETag = (string?)o["etag"] ?? "",
            ContentType = (string?)o["contentType"],
            Metadata = metadata,
            LastModified = (string?)o["lastModified"] is { } time
                ? DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind)
                : null,
        };
    }
}
