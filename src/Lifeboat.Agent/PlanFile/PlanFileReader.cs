using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lifeboat.Agent.PlanFile;

/// <summary>
/// Reads a plan file (<c>lifeboat.yaml</c>, docs/agent.md) into a validated <see cref="PlanFile"/>, or throws a
/// <see cref="PlanFileException"/> with every error found, each at its line and column. YAML is read through
/// YamlDotNet's representation model (no reflection: safe for the natively compiled binary).
/// </summary>
public static class PlanFileReader
{
    private static readonly string[] TopKeys = ["agent", "repositories", "sources", "plans", "channels"];
    private static readonly string[] AgentKeys = ["listen", "journal", "concurrency", "remind_every"];
    private static readonly string[] RepositoryKeys = ["url", "password_file", "password", "quota", "storage_alert_percent"];
    private static readonly string[] SourceKeys =
        ["db", "password_file", "jobs", "profile", "schemas", "exclude_schemas", "tables", "exclude_tables", "exclude_table_data", "globals", "physical_order"];

    /// <summary>The profiles a source may name (those of <c>backup --profile</c>).</summary>
    public static readonly IReadOnlyList<string> Profiles = ["supabase"];

    /// <summary>Reads and checks the file at <paramref name="path"/> (a missing file is a <see cref="FileNotFoundException"/>).</summary>
    public static async Task<PlanFile> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(text, path);
    }

    /// <summary>Checks <paramref name="text"/>; <paramref name="file"/> names it in the errors.</summary>
    public static PlanFile Parse(string text, string file)
    {
        var diagnostics = new Diagnostics(file);
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            diagnostics.At(e.Start, $"malformed YAML: {Reason(e)}{Hint(text, e.Start.Line)}");
            throw new PlanFileException(diagnostics.Errors);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some malformed text: the position is the end of what it read
            var at = parser.Current?.End ?? new Mark();
            diagnostics.At(at, "malformed YAML: the text after this point cannot be read (a bracket, brace or quote not closed, or a wrong indentation?)");
            throw new PlanFileException(diagnostics.Errors);
        }

        if (stream.Documents.Count != 1)
        {
            diagnostics.At(new Mark(), stream.Documents.Count == 0 ? "the plan file is empty" : "the plan file must be one YAML document");
            throw new PlanFileException(diagnostics.Errors);
        }

        var root = stream.Documents[0].RootNode;
        SecretScan.Run(root, diagnostics);
        var top = new YamlSection(root, root.Start, YamlSection.Root, diagnostics, TopKeys);
        var agent = ReadAgent(top.Section("agent", AgentKeys));
        var repositoryMap = top.Section("repositories", null, required: true);
        var sourceMap = top.Section("sources", null, required: true);
        var planMap = top.Section("plans", null, required: true);
        var channelMap = top.Section("channels", null);
        var known = new KnownNames(Names(repositoryMap), Names(sourceMap), Names(channelMap));
        var repositories = Named(repositoryMap, RepositoryKeys, ReadRepository);
        var sources = Named(sourceMap, SourceKeys, ReadSource);
        var channels = Named(channelMap, null, ChannelReader.Read);
        var plans = Named(planMap, PlanReader.Keys, (name, section) => PlanReader.Read(name, section, known));
        if (planMap is not null && !planMap.Entries().Any() && diagnostics.Errors.Count == 0)
        {
            diagnostics.At(top.PositionOf("plans"), "'plans' names no plan");
        }

        if (diagnostics.Errors.Count > 0)
        {
            throw new PlanFileException([.. diagnostics.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
        }

        return new PlanFile(file, agent, repositories, sources, plans, channels);
    }

    /// <summary>YamlDotNet's message without the position it repeats (the error already carries it).</summary>
    private static string Reason(YamlException e)
    {
        var message = e.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && close > 0 ? message[(close + 3)..] : message;
    }

    /// <summary>In a flow mapping (<c>{ ... }</c>) an unquoted <c>${NAME}</c> ends the mapping: say so.</summary>
    private static string Hint(string text, long line)
    {
        var lines = text.Split('\n');
        return line >= 1 && line <= lines.Length && lines[line - 1].Contains("${", StringComparison.Ordinal) && lines[line - 1].Contains('{', StringComparison.Ordinal)
            ? " (inside { ... }, quote a ${NAME} reference: \"${NAME}\")"
            : string.Empty;
    }

    private static HashSet<string> Names(YamlSection? map) => [.. map?.Entries().Select(e => e.Name) ?? []];

    private static List<T> Named<T>(YamlSection? map, IReadOnlyCollection<string>? keys, Func<string, YamlSection, T?> read)
        where T : class
    {
        var items = new List<T>();
        foreach (var (name, nameNode, value) in map?.Entries() ?? [])
        {
            var section = new YamlSection(value, nameNode.Start, $"{map!.Path}.{name}", map.Diagnostics, keys);
            if (read(name, section) is { } item)
            {
                items.Add(item);
            }
        }

        return items;
    }

    private static AgentSettings ReadAgent(YamlSection? section)
    {
        var d = AgentSettings.Default;
        return section is null
            ? d
            : new AgentSettings(
                section.String("listen") ?? d.Listen,
                section.String("journal"),
                section.Int("concurrency", 1, 64) ?? d.Concurrency,
                section.Duration("remind_every") ?? d.RemindEvery);
    }

    private static RepositorySettings? ReadRepository(string name, YamlSection section)
    {
        var url = section.String("url", required: true);
        var passwordFile = section.String("password_file");
        var password = section.Secret("password");
        if (section.Has("password_file") && section.Has("password"))
        {
            section.Error("password", $"{section.Path} has both 'password' and 'password_file': give one");
        }
        else if (!section.Has("password_file") && !section.Has("password"))
        {
            section.Diagnostics.At(section.PositionOf("url"), $"{section.Path} needs 'password_file' or 'password: ${{SOME_ENV_VAR}}'");
        }

        var quota = section.Size("quota");
        var percent = section.Int("storage_alert_percent", 1, 100);
        if (percent is not null && !section.Has("quota"))
        {
            section.Error("storage_alert_percent", $"'storage_alert_percent' in {section.Path} needs a 'quota' to be a percentage of");
        }

        return url is null ? null : new RepositorySettings(name, url, passwordFile, password, quota, percent ?? 80);
    }

    private static SourceSettings? ReadSource(string name, YamlSection section)
    {
        var db = section.String("db", required: true);
        var profile = section.Scalar("profile");
        if (profile is not null && !Profiles.Contains(profile.Value))
        {
            section.Diagnostics.At(profile, $"unknown profile '{profile.Value}' in {section.Path} (known: {string.Join(", ", Profiles)})");
        }

        var source = new SourceSettings(
            name,
            db ?? string.Empty,
            section.String("password_file"),
            section.Int("jobs", 1, 64),
            profile?.Value,
            section.Strings("schemas"),
            section.Strings("exclude_schemas"),
            section.Strings("tables"),
            section.Strings("exclude_tables"),
            section.Strings("exclude_table_data"),
            section.Bool("globals") ?? false,
            section.Bool("physical_order") ?? false);
        return db is null ? null : source;
    }
}

/// <summary>The names a plan may refer to.</summary>
internal sealed record KnownNames(IReadOnlySet<string> Repositories, IReadOnlySet<string> Sources, IReadOnlySet<string> Channels);
