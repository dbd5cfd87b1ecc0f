using System.Text;
using System.Text.RegularExpressions;

namespace Lifeboat.Postgres;

/// <summary>
/// pg_dump's object-name patterns (<c>-n</c>, <c>-t</c>, ...): <c>*</c> matches any run of
/// characters, <c>?</c> one character, unquoted letters fold to lower case, double quotes keep
/// case and make <c>*</c>, <c>?</c> and <c>.</c> literal, and a dot separates schema from name.
/// An unqualified table pattern matches only tables visible on the search path, as in pg_dump.
/// (Regular-expression syntax such as <c>[0-9]</c> inside patterns is not supported.)
/// </summary>
public sealed class NamePattern
{
    private readonly Regex? _schema;
    private readonly Regex _name;

    private NamePattern(string text, Regex? schema, Regex name)
    {
        Text = text;
        _schema = schema;
        _name = name;
    }

    /// <summary>The pattern as given.</summary>
    public string Text { get; }

    /// <summary>Parses a table pattern (<c>[schema.]name</c>).</summary>
    public static NamePattern Table(string pattern)
    {
        var parts = SplitOnDots(pattern);
        return parts.Count switch
        {
            1 => new NamePattern(pattern, null, parts[0]),
            2 => new NamePattern(pattern, parts[0], parts[1]),
            _ => throw new ArgumentException($"Invalid table pattern \"{pattern}\": use [schema.]name (database-qualified names are not supported)."),
        };
    }

    /// <summary>Parses a schema pattern (a single name).</summary>
    public static NamePattern Schema(string pattern)
    {
        var parts = SplitOnDots(pattern);
        if (parts.Count != 1)
            throw new ArgumentException($"Invalid schema pattern \"{pattern}\": a schema pattern has no dot outside double quotes.");
        return new NamePattern(pattern, null, parts[0]);
    }

    /// <summary>True when a schema pattern matches <paramref name="schema"/>.</summary>
    public bool MatchesSchema(string schema) => _name.IsMatch(schema);

    /// <summary>True when a table pattern matches; <paramref name="visible"/> is pg_table_is_visible().</summary>
    public bool MatchesTable(string schema, string name, bool visible)
        => _name.IsMatch(name) && (_schema is null ? visible : _schema.IsMatch(schema));

    private static List<Regex> SplitOnDots(string pattern)
    {
        var regexes = new List<Regex>();
        var current = new StringBuilder();
        var inQuotes = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '"')
            {
                if (inQuotes && i + 1 < pattern.Length && pattern[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    inQuotes = !inQuotes;
                }
            }
            else if (!inQuotes && c == '.')
            {
                regexes.Add(Build(current));
                current.Clear();
            }
            else if (!inQuotes && c == '*')
            {
                current.Append(".*");
            }
            else if (!inQuotes && c == '?')
            {
                current.Append('.');
            }
            else
            {
                var ch = inQuotes ? c : char.ToLowerInvariant(c);
                current.Append(Regex.Escape(ch.ToString()));
            }
        }
        if (inQuotes)
            throw new ArgumentException($"Invalid pattern \"{pattern}\": unterminated double quote.");
        regexes.Add(Build(current));
        return regexes;
    }

    private static Regex Build(StringBuilder body) => new("^(?:" + body + ")$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
}
