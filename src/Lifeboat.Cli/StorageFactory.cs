using Lifeboat.Storage;

namespace Lifeboat.Cli;

/// <summary>Turns a repository location (<c>--repo</c> / <c>LIFEBOAT_REPO</c>) into storage.</summary>
internal static class StorageFactory
{
    public const string RepositoryVariable = "LIFEBOAT_REPO";

    public static string Resolve(string? repo) =>
        !string.IsNullOrWhiteSpace(repo) ? repo
        : Environment.GetEnvironmentVariable(RepositoryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : throw new UsageException($"no repository given: pass --repo LOCATION or set {RepositoryVariable}");

    public static IStorage Create(string location)
    {
        if (location.StartsWith("local:", StringComparison.Ordinal))
        {
            return new LocalFileStorage(Path.GetFullPath(location["local:".Length..]));
        }

        var colon = location.IndexOf(':', StringComparison.Ordinal);
        if (colon > 1 && !location.StartsWith('/') && !location.StartsWith('.'))
        {
            var scheme = location[..colon];
            throw new UsageException(
                $"unknown repository scheme '{scheme}:' in '{location}': use a directory path (or local:PATH)");
        }

        return new LocalFileStorage(Path.GetFullPath(location));
    }
}
