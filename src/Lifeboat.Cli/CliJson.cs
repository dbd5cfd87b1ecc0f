using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Lifeboat.Operations;
using Lifeboat.Repository;

namespace Lifeboat.Cli;

/// <summary>What <c>backup --json</c> prints.</summary>
internal sealed record BackupOutput(string Snapshot, DateTimeOffset Time, string Source, SnapshotSummary Summary, JsonObject? Manifest, IReadOnlyList<object>? Copies);

/// <summary>Build-time JSON metadata of the outputs of backup and restore (see <see cref="CliContext.JsonOutput"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(BackupOutput))]
[JsonSerializable(typeof(DatabaseRestoreResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
