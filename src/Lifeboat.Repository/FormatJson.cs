using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Evidence;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Repository;

/// <summary>The one set of JSON options for every JSON object the repository stores.</summary>
public static class FormatJson
{
    /// <summary>
    /// The stored objects' metadata is generated at build time (<see cref="FormatJsonContext"/>): reflection
    /// would cost every command tens of milliseconds on first use. Other types fall back to reflection.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(FormatJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(KeyFile))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(HoldRecord))]
[JsonSerializable(typeof(EvidenceEnvelope))]
internal sealed partial class FormatJsonContext : JsonSerializerContext;
