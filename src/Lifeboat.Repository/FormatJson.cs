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
    /// The stored objects' metadata is generated at build time (<see cref="FormatJsonContext"/>), with no
    /// reflection fallback: the native binary has no reflection, and it would cost every command tens of
    /// milliseconds on first use.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        TypeInfoResolver = FormatJsonContext.Default,
    };

    /// <summary>The metadata of <typeparamref name="T"/> (one of the types of <see cref="FormatJsonContext"/>).</summary>
    public static JsonTypeInfo<T> Of<T>() => Options.TypeInfo<T>();

    /// <summary>The metadata of <typeparamref name="T"/> in <paramref name="options"/>, whose resolver must know it.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(KeyFile))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(HoldRecord))]
[JsonSerializable(typeof(EvidenceEnvelope))]
[JsonSerializable(typeof(Changes.ChangeSegment))]
internal sealed partial class FormatJsonContext : JsonSerializerContext;
