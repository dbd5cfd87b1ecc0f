using System.Text;
using System.Text.RegularExpressions;

namespace Lifeboat.Postgres;

/// <summary>One index build of post-data, run on its own connection.</summary>
/// <param name="EntryId">The schema archive's TOC entry this build replaces.</param>
/// <param name="Object">What it builds, for messages (<c>INDEX public.events_created</c>).</param>
/// <param name="Sql">The statement: the entry's own <c>CREATE INDEX</c>, or the <c>CREATE UNIQUE INDEX</c> a constraint is built on.</param>
/// <param name="Attach">For a constraint: the <c>ALTER TABLE ... ADD CONSTRAINT ... USING INDEX</c> that turns the index into it.</param>
/// <param name="TableBytes">The table's data size, to build the longest first.</param>
internal sealed record IndexBuild(string EntryId, string Object, string Sql, string? Attach, long TableBytes);

/// <summary>The builds taken over from pg_restore, and post-data's table of contents (null when it was not read).</summary>
internal sealed record IndexBuilds(IReadOnlyList<IndexBuild> Builds, IReadOnlyList<string>? PostDataToc)
{
    public static IndexBuilds None { get; } = new([], null);

    private int PostDataEntries => PostDataToc?.Count(line => line.Length > 0 && char.IsAsciiDigit(line[0])) ?? int.MaxValue;

    /// <summary>True when post-data has entries the builds do not cover, for pg_restore to restore.</summary>
    public bool LeavesEntries => PostDataEntries > Builds.Count;
}

/// <summary>
/// The indexes of post-data, taken out of pg_restore so a table's indexes are built at once.
/// pg_restore -j assumes every CONSTRAINT entry needs an exclusive lock on its table (and
/// <c>ADD PRIMARY KEY</c> does take ACCESS EXCLUSIVE), so it builds a table's primary key only
/// after its other indexes, one after the other. Here every <c>CREATE INDEX</c> entry and every plain
/// <c>PRIMARY KEY</c> / <c>UNIQUE (columns)</c> constraint of an ordinary table, built as
/// <c>CREATE UNIQUE INDEX</c> (SHARE lock: several at once on one table) and then attached with
/// <c>ADD CONSTRAINT ... USING INDEX</c> (a catalog change), run on the restore's connections,
/// longest table first; pg_restore restores the rest of post-data without those entries. The
/// constraint that results is the one pg_restore makes (same name, columns, index; pg_dump prints
/// it the same). Anything else, and any entry whose text is not exactly what is expected (options,
/// tablespaces, deferrable, partitioned tables), stays with pg_restore.
/// </summary>
internal static partial class IndexBuildPlan
{
    /// <summary>The builds to run before pg_restore's post-data, or none when the archive has nothing suitable.</summary>
    public static async Task<IndexBuilds> CreateAsync(PgToolset tools, SchemaArchive archive, BackupManifest manifest, CancellationToken cancellationToken)
    {
        try
        {
            var toc = await PgRestoreRunner.ListAsync(tools, archive, cancellationToken, "post-data");
            var entries = toc.Where(line => TocEntryRegex().IsMatch(line)).ToList();
            if (entries.Count == 0)
                return new IndexBuilds([], toc);
            var listPath = archive.Path + ".indexes.list";
            await File.WriteAllLinesAsync(listPath, entries, cancellationToken);
            var script = await PgRestoreRunner.OutputAsync(tools, ["--file=-", "--section=post-data", "--use-list=" + listPath, archive.Path], cancellationToken);
            return new IndexBuilds(Plan(entries, script, manifest.Tables), toc);
        }
        catch (PgToolFailedException)
        {
            // pg_restore restores every index itself then, and reports what is wrong with the archive
            return IndexBuilds.None;
        }
    }

    /// <summary>
    /// Matches the TOC lines (<c>3226; 2606 16428 CONSTRAINT public events events_pkey postgres</c>) with
    /// the script pg_restore printed for them, in the same order; returns the builds it can take over.
    /// </summary>
    internal static IReadOnlyList<IndexBuild> Plan(IReadOnlyList<string> tocLines, string script, IEnumerable<TableEntry> tables)
    {
        var blocks = SplitEntries(script);
        if (blocks is null || blocks.Count != tocLines.Count)
            return [];
        var byName = tables.ToDictionary(t => (t.Schema, t.Name));
        var builds = new List<IndexBuild>();
        for (var i = 0; i < tocLines.Count; i++)
        {
            var toc = TocEntryRegex().Match(tocLines[i]);
            var (type, sql) = blocks[i];
            if (!toc.Success || toc.Groups["type"].Value != type)
                return [];
            var build = type == "INDEX" ? FromIndex(toc.Groups["id"].Value, sql, byName) : FromConstraint(toc.Groups["id"].Value, sql, byName);
            if (build is not null)
                builds.Add(build);
        }

        return builds.OrderByDescending(b => b.TableBytes).ThenBy(b => b.Attach is null).ToList();
    }

    private static IndexBuild? FromIndex(string id, string sql, Dictionary<(string, string), TableEntry> tables)
    {
        var m = CreateIndexRegex().Match(sql);
        if (!m.Success)
            return null;
        var table = Lookup(m.Groups["table"].Value, tables);
        return new IndexBuild(id, "INDEX " + m.Groups["name"].Value, sql, null, table?.Bytes ?? 0);
    }

    private static IndexBuild? FromConstraint(string id, string sql, Dictionary<(string, string), TableEntry> tables)
    {
        var m = ConstraintRegex().Match(sql);
        if (!m.Success)
            return null;
        var tableText = m.Groups["table"].Value;
        // an ordinary table only: USING INDEX is not supported on partitioned tables, and a partition's
        // key index is attached to its parent's by a later entry
        if (Lookup(tableText, tables) is not { Kind: "table" } table)
            return null;
        var (name, kind, columns) = (m.Groups["name"].Value, m.Groups["kind"].Value, m.Groups["columns"].Value);
        return new IndexBuild(id, $"CONSTRAINT {name} ON {tableText}",
            $"CREATE UNIQUE INDEX {name} ON {tableText} USING btree ({columns});",
            $"ALTER TABLE ONLY {tableText} ADD CONSTRAINT {name} {kind} USING INDEX {name};",
            table.Bytes);
    }

    private static TableEntry? Lookup(string qualified, Dictionary<(string, string), TableEntry> tables)
    {
        var m = QualifiedRegex().Match(qualified);
        if (!m.Success)
            return null;
        return tables.GetValueOrDefault((Unquote(m.Groups["schema"].Value), Unquote(m.Groups["name"].Value)));
    }

    /// <summary>pg_dump's identifiers: lower-case as written, or double-quoted with "" for a quote.</summary>
    private static string Unquote(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier;

    /// <summary>
    /// The script cut at its entry headers (<c>-- Name: ...; Type: INDEX; ...</c>): each entry's type and
    /// its SQL without comments and blank lines. Null when the script sets a tablespace (a session
    /// setting pg_restore emits once for several entries, which separate connections would not share).
    /// </summary>
    internal static List<(string Type, string Sql)>? SplitEntries(string script)
    {
        var entries = new List<(string Type, StringBuilder Sql)>();
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var header = HeaderRegex().Match(line);
            if (header.Success)
            {
                entries.Add((header.Groups["type"].Value, new StringBuilder()));
                continue;
            }
            if (line.StartsWith("SET default_tablespace", StringComparison.Ordinal))
            {
                if (line != "SET default_tablespace = '';")
                    return null;
                continue;
            }
            if (entries.Count == 0 || line.Length == 0 || line.StartsWith("--", StringComparison.Ordinal) || line.StartsWith('\\'))
                continue;
            var sql = entries[^1].Sql;
            if (sql.Length > 0)
                sql.Append('\n');
            sql.Append(line);
        }

        return entries.Select(e => (e.Type, e.Sql.ToString())).ToList();
    }

    private const string Identifier = @"(?:[a-z_][a-z0-9_$]*|""(?:[^""]|"""")+"")";

    private const string Qualified = Identifier + @"\." + Identifier;

    [GeneratedRegex(@"^(?<id>\d+); \d+ \d+ (?<type>INDEX|CONSTRAINT) (?!ATTACH )")]
    private static partial Regex TocEntryRegex();

    [GeneratedRegex(@"^-- Name: .*; Type: (?<type>[A-Z ]+); Schema: .*; Owner: .*$")]
    private static partial Regex HeaderRegex();

    [GeneratedRegex(@"^(?<schema>" + Identifier + @")\.(?<name>" + Identifier + @")$")]
    private static partial Regex QualifiedRegex();

    [GeneratedRegex(@"^CREATE (?:UNIQUE )?INDEX (?<name>" + Identifier + @") ON (?:ONLY )?(?<table>" + Qualified + @") USING [^;]*;$")]
    private static partial Regex CreateIndexRegex();

    [GeneratedRegex(@"^ALTER TABLE ONLY (?<table>" + Qualified + @")\n    ADD CONSTRAINT (?<name>" + Identifier + @") (?<kind>PRIMARY KEY|UNIQUE) \((?<columns>" + Identifier + @"(?:, " + Identifier + @")*)\);$")]
    private static partial Regex ConstraintRegex();
}
