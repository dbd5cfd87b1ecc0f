using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lifeboat.Repository;

/// <summary>The one set of JSON options for every JSON object the repository stores.</summary>
public static class FormatJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };
}
