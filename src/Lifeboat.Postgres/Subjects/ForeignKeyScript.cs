using System.Text;

namespace Lifeboat.Postgres.Subjects;

/// <summary>
/// Reads the foreign keys out of the SQL pg_restore writes for a schema archive's <c>FK CONSTRAINT</c> entries:
/// <c>ALTER TABLE [ONLY] s.t ADD CONSTRAINT n FOREIGN KEY (a, b) REFERENCES s.p(x, y) ...;</c>, as pg_dump writes
/// them (pg_get_constraintdef with an empty search_path: referenced tables qualified, identifiers quoted where needed).
/// </summary>
internal static class ForeignKeyScript
{
    /// <summary>Every foreign key in <paramref name="script"/>.</summary>
    public static List<SubjectLink> Parse(string script)
    {
        var tokens = Tokenize(script);
        var keys = new List<SubjectLink>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!IsWord(tokens, i, "alter") || !IsWord(tokens, i + 1, "table"))
                continue;
            var at = i + 2;
            if (IsWord(tokens, at, "only"))
                at++;
            if (TryParse(tokens, ref at) is { } link)
            {
                keys.Add(link);
                i = at - 1;
            }
        }
        return keys;
    }

    private static SubjectLink? TryParse(List<Token> tokens, ref int at)
    {
        if (QualifiedName(tokens, ref at) is not { } child || !IsWord(tokens, at, "add") || !IsWord(tokens, at + 1, "constraint"))
            return null;
        at += 3; // ADD CONSTRAINT name
        if (!IsWord(tokens, at, "foreign") || !IsWord(tokens, at + 1, "key"))
            return null;
        at += 2;
        if (ColumnList(tokens, ref at) is not { } childColumns || !IsWord(tokens, at, "references"))
            return null;
        at++;
        if (QualifiedName(tokens, ref at) is not { } parent || ColumnList(tokens, ref at) is not { } parentColumns || childColumns.Count != parentColumns.Count)
            return null;
        return new SubjectLink(new SubjectKey(child, childColumns), new SubjectKey(parent, parentColumns), Declared: false);
    }

    private static string? QualifiedName(List<Token> tokens, ref int at)
    {
        if (at >= tokens.Count || !tokens[at].IsName)
            return null;
        var first = tokens[at++].Text;
        if (at + 1 < tokens.Count && tokens[at].Text == "." && !tokens[at].IsName && tokens[at + 1].IsName)
        {
            var second = tokens[at + 1].Text;
            at += 2;
            return first + "." + second;
        }
        return "public." + first;
    }

    private static List<string>? ColumnList(List<Token> tokens, ref int at)
    {
        if (at >= tokens.Count || tokens[at].IsName || tokens[at].Text != "(")
            return null;
        at++;
        var columns = new List<string>();
        while (at < tokens.Count && tokens[at].IsName)
        {
            columns.Add(tokens[at++].Text);
            if (at < tokens.Count && !tokens[at].IsName && tokens[at].Text == ",")
                at++;
        }
        if (at >= tokens.Count || tokens[at].IsName || tokens[at].Text != ")")
            return null;
        at++;
        return columns;
    }

    private static bool IsWord(List<Token> tokens, int at, string word) =>
        at < tokens.Count && tokens[at] is { IsName: true, Quoted: false } t && string.Equals(t.Text, word, StringComparison.OrdinalIgnoreCase);

    private readonly record struct Token(string Text, bool IsName, bool Quoted);

    /// <summary>Names (bare, lower-cased as PostgreSQL folds them, or quoted) and single punctuation; comments and string literals skipped.</summary>
    private static List<Token> Tokenize(string sql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                    i++;
            }
            else if (c == '\'')
            {
                i++;
                while (i < sql.Length && !(sql[i] == '\'' && (i + 1 >= sql.Length || sql[i + 1] != '\'')))
                    i += sql[i] == '\'' ? 2 : 1;
                i++;
            }
            else if (c == '"')
            {
                var name = new StringBuilder();
                i++;
                while (i < sql.Length && !(sql[i] == '"' && (i + 1 >= sql.Length || sql[i + 1] != '"')))
                {
                    name.Append(sql[i]);
                    i += sql[i] == '"' ? 2 : 1;
                }
                i++;
                tokens.Add(new Token(name.ToString(), IsName: true, Quoted: true));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$'))
                    i++;
                tokens.Add(new Token(sql[start..i].ToLowerInvariant(), IsName: true, Quoted: false));
            }
            else
            {
                tokens.Add(new Token(c.ToString(), IsName: false, Quoted: false));
                i++;
            }
        }
        return tokens;
    }
}
