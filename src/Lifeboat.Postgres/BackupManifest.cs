using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Lifeboat.Postgres;

/// <summary>
/// What a capture stored and how to check it: server facts, the snapshot, one entry per table,
/// sequence and large object, and the options used. Serialises with System.Text.Json
/// (<see cref="ToJson"/> / <see cref="FromJson"/>); stored as the stream <c>manifest.json</c>.
/// </summary>
public sealed record BackupManifest
{
    /// <summary>Version of this manifest's shape.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary><c>SHOW server_version</c>, e.g. <c>15.18 (Debian 15.18-0+deb12u1)</c>.</summary>
    public required string ServerVersion { get; init; }

    /// <summary><c>server_version_num</c>, e.g. 150018.</summary>
    public required int ServerVersionNum { get; init; }

    /// <summary>The cluster's system identifier (null when the role may not read pg_control_system()).</summary>
    public string? SystemIdentifier { get; init; }

    /// <summary>The database captured.</summary>
    public required string Database { get; init; }

    /// <summary>The database encoding (COPY streams are in this encoding).</summary>
    public required string Encoding { get; init; }

    /// <summary>The WAL position when the snapshot was taken (null when the role may not read it).</summary>
    public string? WalLsn { get; init; }

    /// <summary>The server's time when the snapshot was taken.</summary>
    public required DateTimeOffset SnapshotTime { get; init; }

    /// <summary>When the capture started and completed (the client's clock).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <inheritdoc cref="StartedAt"/>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>pg_dump's version line.</summary>
    public required string PgDumpVersion { get; init; }

    /// <summary>The custom-format (pg_dump -Fc) schema archive: pre-data and post-data sections.</summary>
    public required StreamEntry Schema { get; init; }

    /// <summary>pg_dumpall --globals-only output, when captured.</summary>
    public StreamEntry? Globals { get; init; }

    /// <summary>
    /// Why <c>--globals</c> was asked for but no globals were saved (pg_dumpall's error), for the backup's warning;
    /// not stored: a snapshot read back says only that it holds no globals.
    /// </summary>
    [JsonIgnore]
    public string? GlobalsNotSaved { get; init; }

    /// <summary>
    /// The roles and tablespaces a restore with <c>--globals</c> applies: the one check that the snapshot holds them
    /// (<see cref="InvalidRestoreRequestException"/> when not). <paramref name="snapshot"/> names it in the message, e.g. <c>Snapshot 1a2b3c4d</c>.
    /// </summary>
    public StreamEntry RequireGlobals(string snapshot = "This snapshot") =>
        Globals ?? throw new InvalidRestoreRequestException(
            $"{snapshot} holds no roles or tablespaces: it was taken without --globals (or the server did not allow reading them). Restore without --globals.");

    /// <summary>Every selected table (including partitioned parents, which hold no data).</summary>
    public required IReadOnlyList<TableEntry> Tables { get; init; }

    /// <summary>Sequence values read in the snapshot.</summary>
    public required IReadOnlyList<SequenceEntry> Sequences { get; init; }

    /// <summary>Large objects.</summary>
    public required IReadOnlyList<LargeObjectEntry> LargeObjects { get; init; }

    /// <summary>The options the capture used.</summary>
    public required CaptureOptionsRecord Options { get; init; }

    /// <summary>Total bytes of table data.</summary>
    [JsonIgnore]
    public long TotalDataBytes => Tables.Sum(t => t.Bytes);

    /// <summary>
    /// Tables captured without their definitions, in the order their patterns were given
    /// (referenced tables first, e.g. auth.users before auth.identities): the target has these
    /// tables with their foreign keys, so their rows must be loaded in that order.
    /// </summary>
    public IEnumerable<TableEntry> DataOnlyTablesInLoadOrder()
    {
        var patterns = Options.DataOnlyTables.Select(NamePattern.Table).ToList();
        int Rank(TableEntry t)
        {
            var i = patterns.FindIndex(p => p.MatchesTable(t.Schema, t.Name, visible: false));
            return i < 0 ? int.MaxValue : i;
        }

        return Tables.Where(t => t.Stream is not null && t.DataOnly).OrderBy(Rank);
    }

    /// <summary>Serialises to indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ManifestJsonContext.Default.BackupManifest);

    /// <summary>Deserialises from JSON.</summary>
    public static BackupManifest FromJson(string json)
        => JsonSerializer.Deserialize(json, ManifestJsonContext.Default.BackupManifest) ?? throw new BackupIntegrityException("manifest.json is empty.");

    /// <summary>Reads <c>manifest.json</c> from a source.</summary>
    public static async Task<BackupManifest> ReadAsync(IStreamSource source, CancellationToken cancellationToken)
    {
        await using var stream = await source.OpenStreamAsync(StreamNames.Manifest, cancellationToken);
        return await JsonSerializer.DeserializeAsync(stream, ManifestJsonContext.Default.BackupManifest, cancellationToken)
            ?? throw new BackupIntegrityException("manifest.json is empty.");
    }
}

/// <summary>A stored stream: its name, size and SHA-256 (lower-case hex).</summary>
public sealed record StreamEntry(string Stream, long Bytes, string Sha256);

/// <summary>One table of the manifest.</summary>
public sealed record TableEntry
{
    /// <summary>Schema name.</summary>
    public required string Schema { get; init; }

    /// <summary>Table name.</summary>
    public required string Name { get; init; }

    /// <summary><c>table</c>, <c>partition</c> (a leaf partition) or <c>partitioned</c> (a parent, no data of its own).</summary>
    public required string Kind { get; init; }

    /// <summary>The COPY columns in order (not dropped, not generated).</summary>
    public required IReadOnlyList<string> Columns { get; init; }

    /// <summary>The stream holding <c>COPY ... TO STDOUT</c> text output; null when no data was captured.</summary>
    public string? Stream { get; init; }

    /// <summary>True when --exclude-table-data applied.</summary>
    public bool DataExcluded { get; init; }

    /// <summary>True when only the rows were captured: the definition belongs to the target's platform (e.g. Supabase's auth.users).</summary>
    public bool DataOnly { get; init; }

    /// <summary>Rows copied.</summary>
    public long Rows { get; init; }

    /// <summary>Bytes of the COPY stream.</summary>
    public long Bytes { get; init; }

    /// <summary>SHA-256 of the COPY stream (lower-case hex).</summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// Order-independent digest of the rows (see <see cref="RowDigest"/>): what a verification compares
    /// when the restored table returns the same rows in another physical order. Null in manifests
    /// written before it existed.
    /// </summary>
    public string? RowsDigest { get; init; }

    /// <summary>Estimated size on disk when listed (used to order work, largest first).</summary>
    public long EstimatedBytes { get; init; }

    /// <summary>
    /// True when the rows' physical order matters to the table's indexes: a BRIN index (which
    /// summarises ranges of pages) or CLUSTER ... USING. A restore then loads the table on one
    /// connection, in the stored order, never in parts. Null in manifests written before it was
    /// recorded, and treated as true.
    /// </summary>
    public bool? OrderSensitive { get; init; }

    /// <summary>The primary key columns the rows were read in order of; null when read in physical order.</summary>
    public IReadOnlyList<string>? OrderedBy { get; init; }

    /// <summary>Row-level security enabled.</summary>
    public bool RlsEnabled { get; init; }

    /// <summary>Row-level security forced on the owner.</summary>
    public bool RlsForced { get; init; }

    /// <summary>Number of RLS policies on the table.</summary>
    public int PolicyCount { get; init; }

    /// <summary>The quoted name <c>"schema"."name"</c>.</summary>
    [JsonIgnore]
    public string QualifiedName => Sql.Qualify(Schema, Name);
}

/// <summary>A sequence's state in the snapshot.</summary>
public sealed record SequenceEntry(string Schema, string Name, long LastValue, bool IsCalled);

/// <summary>A large object: its OID and the stream holding its bytes.</summary>
public sealed record LargeObjectEntry(uint Oid, string Stream, long Bytes, string Sha256);

/// <summary>The capture options as recorded in the manifest.</summary>
public sealed record CaptureOptionsRecord
{
    /// <summary>Worker connections used.</summary>
    public int Jobs { get; init; }

    /// <summary>--schema patterns.</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];

    /// <summary>--exclude-schema patterns.</summary>
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];

    /// <summary>--table patterns.</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>--exclude-table patterns.</summary>
    public IReadOnlyList<string> ExcludeTables { get; init; } = [];

    /// <summary>--exclude-table-data patterns.</summary>
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];

    /// <summary>Tables captured without their definitions.</summary>
    public IReadOnlyList<string> DataOnlyTables { get; init; } = [];

    /// <summary>The profile applied, e.g. <c>supabase</c>; null for none.</summary>
    public string? Profile { get; init; }

    /// <summary>Whether large objects were captured.</summary>
    public bool LargeObjects { get; init; }

    /// <summary>Whether globals were requested.</summary>
    public bool Globals { get; init; }

    /// <summary>Whether every table was read in physical order (<c>--physical-order</c>).</summary>
    public bool PhysicalOrder { get; init; }
}

/// <summary>Metadata generated at build time (every restore reads a manifest first; the native binary has no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
