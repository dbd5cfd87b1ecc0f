using System.Globalization;
using Lifeboat.Repository;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lifeboat.Operations.Drill;

/// <summary>A table that must exist in the restored database with at least <see cref="MinRows"/> rows.</summary>
public sealed record RequiredTable(string Table, long MinRows = 1);

/// <summary>
/// A custom SQL assertion: the first column of the first row <paramref name="Sql"/> returns must equal
/// <paramref name="Expect"/> (numbers compared as numbers), or lie within <paramref name="Min"/>..<paramref name="Max"/>.
/// </summary>
public sealed record SqlAssertion(string Name, string Sql, string? Expect, decimal? Min, decimal? Max);

/// <summary>
/// The drill's checks file (YAML; JSON works too, being YAML):
/// <code>
/// required_tables:
///   - public.orders
///   - { table: auth.users, min_rows: 100 }
/// assertions:
///   - name: no order has a negative total
///     sql: SELECT count(*) FROM order_totals WHERE total &lt; 0
///     expect: 0
///   - name: a plausible number of orders
///     sql: SELECT count(*) FROM orders
///     min: 1000
///     max: 10000000
/// timeout: 5m
/// </code>
/// </summary>
public sealed record DrillChecksFile
{
    /// <summary>Tables that must exist and hold rows (check 6).</summary>
    public IReadOnlyList<RequiredTable> RequiredTables { get; init; } = [];

    /// <summary>Custom SQL assertions (check 7).</summary>
    public IReadOnlyList<SqlAssertion> Assertions { get; init; } = [];

    /// <summary>statement_timeout for each assertion and required-table query.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads and parses a checks file.</summary>
    public static async Task<DrillChecksFile> LoadAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidRequestException($"cannot read the checks file {path}: {e.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses the YAML text of a checks file; errors name the file and line.</summary>
    public static DrillChecksFile Parse(string text, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InvalidRequestException($"{fileName}:{e.Start.Line}: not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0)
        {
            return new DrillChecksFile();
        }

        var root = stream.Documents[0].RootNode as YamlMappingNode
            ?? throw Error(fileName, stream.Documents[0].RootNode, "the checks file must be a mapping with required_tables, assertions and timeout");
        var required = new List<RequiredTable>();
        var assertions = new List<SqlAssertion>();
        var timeout = TimeSpan.FromMinutes(5);
        foreach (var (keyNode, value) in root.Children)
        {
            switch (Scalar(fileName, keyNode))
            {
                case "required_tables":
                    foreach (var item in Sequence(fileName, value, "required_tables"))
                    {
                        required.Add(ParseRequired(fileName, item));
                    }

                    break;
                case "assertions":
                    foreach (var item in Sequence(fileName, value, "assertions"))
                    {
                        assertions.Add(ParseAssertion(fileName, item));
                    }

                    break;
                case "timeout":
                    timeout = Durations.Parse(Scalar(fileName, value), $"{fileName}:{value.Start.Line}: timeout");
                    break;
                case var other:
                    throw Error(fileName, keyNode, $"unknown key '{other}' (expected required_tables, assertions, timeout)");
            }
        }

        var duplicate = assertions.GroupBy(a => a.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidRequestException($"{fileName}: two assertions are named '{duplicate.Key}': give each its own name");
        }

        return new DrillChecksFile { RequiredTables = required, Assertions = assertions, Timeout = timeout };
    }

    private static RequiredTable ParseRequired(string fileName, YamlNode node)
    {
        if (node is YamlScalarNode)
        {
            return new RequiredTable(NonEmpty(fileName, node, Scalar(fileName, node), "table"));
        }

        var map = Mapping(fileName, node, "a required table");
        string? table = null;
        long minRows = 1;
        foreach (var (k, v) in map.Children)
        {
            switch (Scalar(fileName, k))
            {
                case "table":
                    table = Scalar(fileName, v);
                    break;
                case "min_rows":
                    minRows = long.TryParse(Scalar(fileName, v), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
                        ? n
                        : throw Error(fileName, v, "min_rows must be a whole number, 0 or more");
                    break;
                case var other:
                    throw Error(fileName, k, $"unknown key '{other}' in a required table (expected table, min_rows)");
            }
        }

        return new RequiredTable(NonEmpty(fileName, node, table, "table"), minRows);
    }

    private static SqlAssertion ParseAssertion(string fileName, YamlNode node)
    {
        var map = Mapping(fileName, node, "an assertion");
        string? name = null, sql = null, expect = null;
        decimal? min = null, max = null;
        foreach (var (k, v) in map.Children)
        {
            switch (Scalar(fileName, k))
            {
                case "name":
                    name = Scalar(fileName, v);
                    break;
                case "sql":
                    sql = Scalar(fileName, v);
                    break;
                case "expect":
                    expect = Scalar(fileName, v);
                    break;
                case "min":
                    min = Number(fileName, v, "min");
                    break;
                case "max":
                    max = Number(fileName, v, "max");
                    break;
                case var other:
                    throw Error(fileName, k, $"unknown key '{other}' in an assertion (expected name, sql, expect, min, max)");
            }
        }

        name = NonEmpty(fileName, node, name, "name");
        sql = NonEmpty(fileName, node, sql, "sql");
        if (expect is null && min is null && max is null)
        {
            throw Error(fileName, node, $"assertion '{name}' needs expect, or min and/or max");
        }

        if (expect is not null && (min is not null || max is not null))
        {
            throw Error(fileName, node, $"assertion '{name}': use expect, or min/max, not both");
        }

        return new SqlAssertion(name, sql, expect, min, max);
    }

    private static decimal Number(string fileName, YamlNode node, string key) =>
        decimal.TryParse(Scalar(fileName, node), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(fileName, node, $"{key} must be a number");

    private static string NonEmpty(string fileName, YamlNode node, string? value, string key) =>
        string.IsNullOrWhiteSpace(value) ? throw Error(fileName, node, $"'{key}' is missing or empty") : value.Trim();

    private static string Scalar(string fileName, YamlNode node) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(fileName, node, "expected a single value here");

    private static YamlMappingNode Mapping(string fileName, YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(fileName, node, $"expected {what} as a mapping (key: value lines)");

    private static IEnumerable<YamlNode> Sequence(string fileName, YamlNode node, string key) =>
        node as YamlSequenceNode ?? throw Error(fileName, node, $"{key} must be a list ('- ' items)");

    private static InvalidRequestException Error(string fileName, YamlNode node, string message) =>
        new($"{fileName}:{node.Start.Line}: {message}");
}
