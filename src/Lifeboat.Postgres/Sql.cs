namespace Lifeboat.Postgres;

/// <summary>SQL text helpers.</summary>
public static class Sql
{
    /// <summary>Quotes an identifier: <c>my "x"</c> becomes <c>"my ""x"""</c>.</summary>
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary><c>"schema"."name"</c>.</summary>
    public static string Qualify(string schema, string name) => Ident(schema) + "." + Ident(name);

    /// <summary>A string literal (standard_conforming_strings on).</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A quoted column list: <c>("a", "b")</c>, or empty when there are no columns.</summary>
    public static string ColumnList(IReadOnlyList<string> columns)
        => columns.Count == 0 ? "" : " (" + string.Join(", ", columns.Select(Ident)) + ")";
}
