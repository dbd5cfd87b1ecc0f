namespace Lifeboat.Postgres;

/// <summary>Runs pg_restore on a schema archive against a target database or to a script.</summary>
internal static class PgRestoreRunner
{
    public static async Task RunIntoDatabaseAsync(PgToolset tools, PgConnectionInfo target, SchemaArchive archive, string section,
        int jobs, bool noOwner, bool noPrivileges, IEnumerable<string> extraArguments, CancellationToken cancellationToken, bool skipExtensions = false,
        IReadOnlyCollection<string>? excludedEntries = null, IReadOnlyList<string>? toc = null)
    {
        var args = new List<string>
        {
            "--section=" + section, "--exit-on-error", "--no-password",
            // a conninfo naming only the database: host, user and password come from the environment
            "--dbname=dbname='" + target.Database.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'",
        };
        args.Add(jobs > 1 ? "--jobs=" + jobs.ToString(System.Globalization.CultureInfo.InvariantCulture) : "--single-transaction");
        if (noOwner)
            args.Add("--no-owner");
        if (noPrivileges)
            args.Add("--no-privileges");
        args.AddRange(extraArguments);
        if (skipExtensions || excludedEntries is { Count: > 0 })
            args.Add("--use-list=" + await WriteListAsync(tools, archive, skipExtensions, excludedEntries ?? [], toc, cancellationToken));
        args.Add(archive.Path);
        try
        {
            await ChildProcess.RunAsync(tools.PgRestore, args, target.ToChildEnvironment(), null, null, cancellationToken);
        }
        catch (PgToolFailedException ex)
        {
            throw new RestoreFailedException(ObjectFrom(ex.StandardError) ?? section,
                $"Restoring the schema ({section}) into {target.Redact()} failed: {ex.StandardError.Trim()}", ex);
        }
    }

    public static async Task WriteScriptAsync(PgToolset tools, SchemaArchive archive, string section, Stream output, CancellationToken cancellationToken, bool skipExtensions = false)
    {
        List<string> args = ["--section=" + section, "--file=-"];
        if (skipExtensions)
            args.Add("--use-list=" + await WriteListAsync(tools, archive, skipExtensions, [], null, cancellationToken));
        args.Add(archive.Path);
        await ChildProcess.RunAsync(tools.PgRestore, args, null, (stdout, ct) => stdout.CopyToAsync(output, ct), null, cancellationToken);
    }

    /// <summary>
    /// The archive's table of contents for <c>--use-list</c>, written next to the archive: without
    /// extensions and their comments when <paramref name="skipExtensions"/> (a platform such as
    /// Supabase provides its own), and without the entries the restore ran itself (pg_restore then
    /// counts what depends on them as ready). <paramref name="toc"/>: the list read already, if the caller has it.
    /// </summary>
    private static async Task<string> WriteListAsync(PgToolset tools, SchemaArchive archive, bool skipExtensions, IReadOnlyCollection<string> excludedEntries,
        IReadOnlyList<string>? toc, CancellationToken cancellationToken)
    {
        var excluded = excludedEntries.ToHashSet(StringComparer.Ordinal);
        var lines = (toc ?? await ListAsync(tools, archive, cancellationToken))
            .Where(line => !(skipExtensions && System.Text.RegularExpressions.Regex.IsMatch(line, @"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION) ")))
            .Where(line => !excluded.Contains(EntryId(line)));
        var path = archive.Path + (excluded.Count > 0 ? ".rest.list" : ".list");
        await File.WriteAllLinesAsync(path, lines, cancellationToken);
        return path;
    }

    /// <summary>The archive's table of contents (<c>pg_restore --list</c>, plus <paramref name="section"/>), line by line.</summary>
    public static async Task<string[]> ListAsync(PgToolset tools, SchemaArchive archive, CancellationToken cancellationToken, string? section = null) =>
        (await OutputAsync(tools, section is null ? ["--list", archive.Path] : ["--list", "--section=" + section, archive.Path], cancellationToken)).Split('\n');

    /// <summary>What pg_restore writes to stdout with <paramref name="args"/> (a list, a script), as text.</summary>
    public static async Task<string> OutputAsync(PgToolset tools, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var output = new MemoryStream();
        await ChildProcess.RunAsync(tools.PgRestore, args, null, (stdout, ct) => stdout.CopyToAsync(output, ct), null, cancellationToken);
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    /// <summary>The id of a TOC line (<c>3226; 2606 16428 CONSTRAINT ...</c>), or "" for a comment line.</summary>
    private static string EntryId(string line) => line.IndexOf(';', StringComparison.Ordinal) is var end and > 0 && char.IsAsciiDigit(line[0]) ? line[..end] : "";

    /// <summary>pg_restore names the failing entry as "from TOC entry 215; 1259 16386 TABLE a postgres".</summary>
    private static string? ObjectFrom(string stderr)
    {
        const string marker = "from TOC entry ";
        var i = stderr.IndexOf(marker, StringComparison.Ordinal);
        if (i < 0)
            return null;
        var line = stderr[(i + marker.Length)..].Split('\n')[0];
        var parts = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 5 ? parts[3] + " " + parts[4].TrimEnd(':') : line.Trim();
    }
}
