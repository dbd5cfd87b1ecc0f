using System.Text;
using System.Text.RegularExpressions;

namespace Lifeboat.Operations.Directories;

/// <summary>
/// A shell-style pattern of <c>--exclude</c> and <c>--include</c>: <c>*</c> matches any characters but <c>/</c>,
/// <c>**</c> any characters, <c>?</c> one character but <c>/</c>, <c>[abc]</c> one of a set. A pattern without
/// <c>/</c> matches a name (the last part of a path); one with <c>/</c> matches a whole path.
/// </summary>
public sealed class PathGlob
{
    private readonly Regex _regex;

    public PathGlob(string pattern)
    {
        Pattern = pattern;
        MatchesWholePath = pattern.Contains('/', StringComparison.Ordinal);
        _regex = new Regex("^" + Translate(pattern.TrimEnd('/')) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    public string Pattern { get; }

    /// <summary>Whether the pattern holds a <c>/</c> and so matches whole paths rather than names.</summary>
    public bool MatchesWholePath { get; }

    /// <summary>Whether the pattern matches <paramref name="path"/> (a whole path) or, for a name pattern, its last part.</summary>
    public bool IsMatch(string path) =>
        _regex.IsMatch(MatchesWholePath ? path : path[(path.LastIndexOf('/') + 1)..]);

    private static string Translate(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    regex.Append(".*");
                    i++;
                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[' when pattern.IndexOf(']', i + 1) is var end and > 0:
                    var set = pattern[(i + 1)..end];
                    regex.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.ToString();
    }
}
