using System.CommandLine;
using System.Text.RegularExpressions;

namespace Lifeboat.Cli;

/// <summary>Command-line mistakes told in our words: an unknown command, a value of the wrong kind.</summary>
internal static partial class ParseErrors
{
    /// <summary>
    /// The first word that names no command, when the line stopped at the root (e.g. <c>lifeboat bakup --help</c>,
    /// which System.CommandLine would answer with the root help and exit 0).
    /// </summary>
    public static string? UnknownCommand(ParseResult parseResult, RootCommand root) =>
        parseResult.CommandResult.Command == root
            ? parseResult.UnmatchedTokens.FirstOrDefault(token => !token.StartsWith('-'))
            : null;

    /// <summary>"unknown command 'bakup'; did you mean 'backup'?" (the suggestion only when one is close).</summary>
    public static string DescribeUnknown(string word, RootCommand root)
    {
        var nearest = root.Subcommands
            .Where(c => !c.Hidden)
            .Select(c => (c.Name, Distance: Distance(word.ToLowerInvariant(), c.Name)))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        var close = nearest.Name is not null && nearest.Distance <= Math.Max(2, nearest.Name.Length / 3);
        return close
            ? $"unknown command '{word}'; did you mean '{nearest.Name}'?"
            : $"unknown command '{word}': run 'lifeboat --help' for the list of commands";
    }

    /// <summary>System.CommandLine's message, with .NET type names said in words and doubled periods removed.</summary>
    public static string Describe(string message)
    {
        var match = CannotParse().Match(message);
        if (match.Success)
        {
            var kind = match.Groups["type"].Value switch
            {
                "System.Int16" or "System.Int32" or "System.Int64" or "System.UInt16" or "System.UInt32" or "System.UInt64" => "a whole number",
                "System.Double" or "System.Single" or "System.Decimal" => "a number",
                "System.Boolean" => "true or false",
                "System.TimeSpan" => "a duration, e.g. 01:30:00",
                "System.DateTimeOffset" or "System.DateTime" => "a date and time, e.g. 2026-01-31T02:00:00Z",
                var other => "a value of type " + other[(other.LastIndexOf('.') + 1)..],
            };
            return $"{match.Groups["what"].Value} '{match.Groups["name"].Value}' expects {kind}, not '{match.Groups["value"].Value}'";
        }

        return DoubledPeriod().Replace(message, ".");
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?<what>option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']+)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"\.\.+$")]
    private static partial Regex DoubledPeriod();
}
