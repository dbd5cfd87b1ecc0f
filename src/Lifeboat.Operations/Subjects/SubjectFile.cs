using Lifeboat.Postgres.Subjects;
using Lifeboat.Repository;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lifeboat.Operations.Subjects;

/// <summary>
/// A subject file (YAML; see docs/cli.md, "The subject file"): links for columns without a foreign key, and
/// foreign keys to follow both ways.
/// <code>
/// links:
///   - from: public.notes.user_id          # the referencing column
///     to: auth.users.id                   # the column it refers to
///   - from: public.files(owner_kind, owner_id)
///     to: public.owners(kind, id)
///     two-way: true
/// two-way:
///   - public.orders.shop_id               # a foreign key, named by its referencing columns
/// </code>
/// Every error names the file, line and column.
/// </summary>
public sealed record SubjectFile
{
    /// <summary>The declared links.</summary>
    public IReadOnlyList<SubjectLink> Links { get; init; } = [];

    /// <summary>Foreign keys followed both ways.</summary>
    public IReadOnlyList<SubjectKey> TwoWay { get; init; } = [];

    /// <summary>Reads and parses a subject file.</summary>
    public static async Task<SubjectFile> LoadAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidRequestException($"cannot read the subject file {path}: {e.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses the YAML text of a subject file.</summary>
    public static SubjectFile Parse(string text, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InvalidRequestException($"{fileName}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0)
        {
            return new SubjectFile();
        }

        var root = stream.Documents[0].RootNode as YamlMappingNode
            ?? throw Error(fileName, stream.Documents[0].RootNode, "the subject file must be a mapping with links and two-way");
        var links = new List<SubjectLink>();
        var twoWay = new List<SubjectKey>();
        foreach (var (keyNode, value) in root.Children)
        {
            switch (Scalar(fileName, keyNode))
            {
                case "links":
                    links.AddRange(Sequence(fileName, value, "links").Select(item => ParseLink(fileName, item)));
                    break;
                case "two-way":
                    twoWay.AddRange(Sequence(fileName, value, "two-way").Select(item => Key(fileName, item)));
                    break;
                case var other:
                    throw Error(fileName, keyNode, $"unknown key '{other}' (expected links, two-way)");
            }
        }

        return new SubjectFile { Links = links, TwoWay = twoWay };
    }

    private static SubjectLink ParseLink(string fileName, YamlNode node)
    {
        var map = node as YamlMappingNode ?? throw Error(fileName, node, "a link is a mapping: from, to and (optional) two-way");
        SubjectKey? from = null, to = null;
        var twoWay = false;
        foreach (var (k, v) in map.Children)
        {
            switch (Scalar(fileName, k))
            {
                case "from":
                    from = Key(fileName, v);
                    break;
                case "to":
                    to = Key(fileName, v);
                    break;
                case "two-way":
                    twoWay = Scalar(fileName, v) switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw Error(fileName, v, "two-way is true or false"),
                    };
                    break;
                case var other:
                    throw Error(fileName, k, $"unknown key '{other}' in a link (expected from, to, two-way)");
            }
        }

        if (from is null || to is null)
        {
            throw Error(fileName, node, $"a link needs both from and to (the referencing columns and the columns they refer to)");
        }

        if (from.Columns.Count != to.Columns.Count)
        {
            throw Error(fileName, node, $"{from} has {from.Columns.Count} column(s) and {to} {to.Columns.Count}: a link pairs them one to one");
        }

        return new SubjectLink(from, to, Declared: true, twoWay);
    }

    /// <summary><c>schema.table.column</c> or <c>schema.table(column, column)</c>.</summary>
    private static SubjectKey Key(string fileName, YamlNode node)
    {
        var text = Scalar(fileName, node).Trim();
        var open = text.IndexOf('(', StringComparison.Ordinal);
        string table;
        List<string> columns;
        if (open >= 0)
        {
            if (!text.EndsWith(')'))
            {
                throw Error(fileName, node, $"'{text}': a column list ends with ')'");
            }

            table = text[..open].Trim();
            columns = [.. text[(open + 1)..^1].Split(',').Select(c => c.Trim())];
        }
        else
        {
            var last = text.LastIndexOf('.');
            table = last > 0 ? text[..last] : "";
            columns = [last > 0 ? text[(last + 1)..] : ""];
        }

        if (table.Split('.') is not [{ Length: > 0 }, { Length: > 0 }] || columns.Any(c => c.Length == 0))
        {
            throw Error(fileName, node, $"'{text}' is not schema.table.column or schema.table(column, ...)");
        }

        return new SubjectKey(table, columns);
    }

    private static string Scalar(string fileName, YamlNode node) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(fileName, node, "expected a single value here");

    private static IEnumerable<YamlNode> Sequence(string fileName, YamlNode node, string key) =>
        node as YamlSequenceNode ?? throw Error(fileName, node, $"{key} must be a list ('- ' items)");

    private static InvalidRequestException Error(string fileName, YamlNode node, string message) =>
        new($"{fileName}:{node.Start.Line}:{node.Start.Column}: {message}");
}
