using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Lifeboat.Storage.Azure;

/// <summary>
/// Repository URLs of the Azure Blob backend: <c>azure:container/prefix</c>. The account and its
/// secret come from the environment (see <see cref="AzureCredentials.FromEnvironment"/>), never from the URL.
/// </summary>
public static partial class AzureRepositoryUrl
{
    /// <summary>The scheme the CLI dispatches on.</summary>
    public const string Scheme = "azure";

    /// <summary>True when <paramref name="url"/> names the Azure backend (starts with <c>azure:</c>).</summary>
    public static bool IsMatch(string url) => url.StartsWith("azure:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses an Azure repository URL, or says what is wrong with it.</summary>
    public static bool TryParse(
        string url,
        [NotNullWhen(true)] out AzureBlobStorageOptions? options,
        [NotNullWhen(false)] out string? error)
    {
        options = null;
        if (!IsMatch(url))
        {
            error = "an Azure repository URL starts with 'azure:' (azure:container/prefix)";
            return false;
        }

        var path = url["azure:".Length..];
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        path = path.Trim('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? path : path[..slash];
        var prefix = slash < 0 ? "" : path[(slash + 1)..].Trim('/');
        if (!ContainerName().IsMatch(container) || container.Contains("--", StringComparison.Ordinal))
        {
            error = container.Length == 0
                ? "the Azure URL names no container: expected azure:container/prefix"
                : $"'{container}' is not a valid container name (3-63 characters: lower-case letters, digits and single '-')";
            return false;
        }

        if (prefix.Length > 0 && prefix.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            error = $"the prefix '{prefix}' has an empty, '.' or '..' segment";
            return false;
        }

        options = new AzureBlobStorageOptions { Container = container, Prefix = prefix };
        error = null;
        return true;
    }

    /// <summary>Parses an Azure repository URL.</summary>
    /// <exception cref="FormatException">The URL is not a valid Azure repository URL.</exception>
    public static AzureBlobStorageOptions Parse(string url) =>
        TryParse(url, out var options, out var error) ? options : throw new FormatException(error);

    /// <summary>The URL form of a location, fit for messages.</summary>
    public static string Format(AzureBlobStorageOptions options) =>
        options.Prefix.Length == 0 ? $"azure:{options.Container}" : $"azure:{options.Container}/{options.Prefix}";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
