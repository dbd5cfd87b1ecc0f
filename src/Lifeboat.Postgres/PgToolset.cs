using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Lifeboat.Postgres;

/// <summary>A directory holding pg_dump, pg_restore and psql of one version.</summary>
/// <param name="Directory">The directory.</param>
/// <param name="MajorVersion">pg_dump's major version.</param>
/// <param name="VersionText">pg_dump's full version line, e.g. <c>pg_dump (PostgreSQL) 15.18</c>.</param>
public sealed partial record PgToolset(string Directory, int MajorVersion, string VersionText)
{
    /// <summary>Path of pg_dump.</summary>
    public string PgDump => Path.Combine(Directory, "pg_dump");

    /// <summary>Path of pg_restore.</summary>
    public string PgRestore => Path.Combine(Directory, "pg_restore");

    /// <summary>Path of psql.</summary>
    public string Psql => Path.Combine(Directory, "psql");

    private bool IsComplete => File.Exists(PgRestore) && File.Exists(Psql);

    /// <summary>Path of pg_dumpall.</summary>
    public string PgDumpAll => Path.Combine(Directory, "pg_dumpall");

    private static readonly ConcurrentDictionary<string, Task<PgToolset?>> Prefetched = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts reading the version of the pg_dump binaries <see cref="FindAsync"/> would look at first
    /// (the given directory, else /usr/lib/postgresql/*/bin), for a command that will need them once it
    /// knows the server's version: the next <see cref="FindAsync"/> uses each result once.
    /// </summary>
    public static void Prefetch(string? pgBinDirectory)
    {
        var directories = pgBinDirectory is not null ? [pgBinDirectory] : DefaultSearchDirectories().TakeWhile(d => d.StartsWith("/usr/lib/postgresql/", StringComparison.Ordinal));
        foreach (var dir in directories)
        {
            var pgDump = Path.Combine(dir, "pg_dump");
            if (File.Exists(pgDump))
                Prefetched.TryAdd(pgDump, Task.Run(() => ReadVersionAsync(pgDump, CancellationToken.None)));
        }
    }

    /// <summary>
    /// Finds the client tools for a server of major version <paramref name="serverMajorVersion"/>:
    /// the explicit <paramref name="pgBinDirectory"/> when given (only there), else PATH and
    /// <c>/usr/lib/postgresql/*/bin</c>, preferring the same major version, else the lowest newer
    /// one. Fails before any work with <see cref="PgToolNotFoundException"/> saying what to install.
    /// </summary>
    public static async Task<PgToolset> FindAsync(int serverMajorVersion, string? pgBinDirectory, CancellationToken cancellationToken,
        IEnumerable<string>? searchDirectories = null)
    {
        var candidates = pgBinDirectory is not null ? [pgBinDirectory] : (searchDirectories ?? DefaultSearchDirectories()).Distinct().ToList();
        var found = new List<PgToolset>();
        foreach (var dir in candidates)
        {
            var pgDump = Path.Combine(dir, "pg_dump");
            if (!File.Exists(pgDump))
                continue;
            var version = Prefetched.TryRemove(pgDump, out var prefetched) ? await prefetched.WaitAsync(cancellationToken) : await ReadVersionAsync(pgDump, cancellationToken);
            if (version is null)
                continue;
            var toolset = version with { Directory = dir };
            // the server's own major version is the best there is: stop probing (Debian's /usr/bin wrappers cost a perl start each)
            if (toolset.MajorVersion == serverMajorVersion && toolset.IsComplete)
                return toolset;
            found.Add(toolset);
        }
        var usable = found
            .Where(t => t.MajorVersion >= serverMajorVersion && t.IsComplete)
            .OrderBy(t => t.MajorVersion)
            .FirstOrDefault();
        if (usable is not null)
            return usable;
        var seen = found.Count == 0
            ? pgBinDirectory is not null ? $"no pg_dump in {pgBinDirectory}" : "no pg_dump on PATH or in /usr/lib/postgresql/*/bin"
            : "found only " + string.Join(", ", found.Select(f => $"{f.MajorVersion} in {f.Directory}"));
        throw new PgToolNotFoundException(
            $"The server runs PostgreSQL {serverMajorVersion}, which needs pg_dump, pg_restore and psql of version {serverMajorVersion} " +
            $"or newer ({seen}). Install them, e.g. `apt-get install postgresql-client-{serverMajorVersion}` (Debian/Ubuntu with the PGDG " +
            $"repository) or `brew install postgresql@{serverMajorVersion}`, or point --pg-bin at their directory.",
            serverMajorVersion);
    }

    /// <summary>Parses <c>pg_dump (PostgreSQL) 15.18 (Debian ...)</c> / <c>16beta1</c> / <c>9.6.24</c>.</summary>
    internal static (int Major, string Text)? ParseVersion(string output)
    {
        var m = VersionRegex().Match(output);
        if (!m.Success)
            return null;
        var major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return (major, output.Trim());
    }

    private static async Task<PgToolset?> ReadVersionAsync(string pgDump, CancellationToken cancellationToken)
    {
        try
        {
            var output = await ChildProcess.RunAsync(pgDump, ["--version"], null, null, null, cancellationToken);
            return ParseVersion(output) is { } v ? new PgToolset("", v.Major, v.Text) : null;
        }
        catch (PgToolFailedException)
        {
            return null;
        }
    }

    private static IEnumerable<string> DefaultSearchDirectories()
    {
        // the real binaries first: on Debian /usr/bin/pg_dump is a wrapper that picks a version itself
        if (System.IO.Directory.Exists("/usr/lib/postgresql"))
        {
            foreach (var dir in System.IO.Directory.GetDirectories("/usr/lib/postgresql").Order(StringComparer.Ordinal))
                yield return Path.Combine(dir, "bin");
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            yield return dir;
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+)(?:\.\d+)?")]
    private static partial Regex VersionRegex();
}
