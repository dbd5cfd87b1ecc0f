using System.Globalization;

namespace Lifeboat.Postgres;

/// <summary>What a captured change does.</summary>
public enum ChangeKind : byte
{
    /// <summary>A new row (<see cref="CapturedChange.NewValues"/>).</summary>
    Insert = 1,

    /// <summary>A changed row: <see cref="CapturedChange.NewValues"/>, and the old key or row when the server sent one.</summary>
    Update = 2,

    /// <summary>A removed row, identified by <see cref="CapturedChange.OldValues"/> (its key or whole row).</summary>
    Delete = 3,

    /// <summary>TRUNCATE of <see cref="CapturedChange.TruncatedRelations"/>.</summary>
    Truncate = 4,
}

/// <summary>What one column of a captured row holds.</summary>
public enum ValueKind : byte
{
    /// <summary>SQL NULL (also: a column outside the replica identity in a key-only old row).</summary>
    Null = 0,

    /// <summary>
    /// A TOASTed value the change did not touch, which the server does not send again: the value is
    /// the one the row had before (a replay keeps the column as it is).
    /// </summary>
    Unchanged = 1,

    /// <summary>A value in PostgreSQL's text form (<see cref="ColumnValue.Text"/>).</summary>
    Text = 2,
}

/// <summary>One column's value in a captured row.</summary>
/// <param name="Kind">Null, unchanged TOAST, or text.</param>
/// <param name="Text">The value in text form, only for <see cref="ValueKind.Text"/>.</param>
public readonly record struct ColumnValue(ValueKind Kind, string? Text)
{
    /// <summary>SQL NULL.</summary>
    public static ColumnValue Null => new(ValueKind.Null, null);

    /// <summary>An unchanged TOASTed value.</summary>
    public static ColumnValue Unchanged => new(ValueKind.Unchanged, null);

    /// <summary>A value in text form.</summary>
    public static ColumnValue Of(string text) => new(ValueKind.Text, text);
}

/// <summary>A column of a published table as the stream describes it.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="TypeOid">Its type's oid.</param>
/// <param name="TypeModifier">Its type modifier (-1 for none).</param>
/// <param name="IsKey">Whether it is part of the replica identity.</param>
public sealed record RelationColumn(string Name, uint TypeOid, int TypeModifier, bool IsKey);

/// <summary>A published table as the stream's Relation message last described it.</summary>
/// <param name="Id">The table's oid on the source (what <see cref="CapturedChange.RelationId"/> names).</param>
/// <param name="Schema">Its schema.</param>
/// <param name="Name">Its name.</param>
/// <param name="ReplicaIdentity"><c>d</c> default (primary key), <c>n</c> nothing, <c>f</c> full row, <c>i</c> an index.</param>
/// <param name="Columns">Its columns in the order of the rows' values.</param>
public sealed record RelationInfo(uint Id, string Schema, string Name, char ReplicaIdentity, IReadOnlyList<RelationColumn> Columns)
{
    /// <summary>The quoted, qualified name.</summary>
    public string QualifiedName => Sql.Qualify(Schema, Name);
}

/// <summary>One change of a committed transaction.</summary>
/// <param name="Kind">Insert, update, delete or truncate.</param>
/// <param name="RelationId">The table changed (0 for a truncate, which names <paramref name="TruncatedRelations"/>).</param>
/// <param name="OldValues">The old row (replica identity full) or key (other columns null), when the server sent one.</param>
/// <param name="OldIsKey">Whether <paramref name="OldValues"/> holds only the key columns' values.</param>
/// <param name="NewValues">The new row for an insert or update.</param>
/// <param name="TruncatedRelations">The tables a truncate empties.</param>
/// <param name="TruncateFlags">Bit 0 CASCADE, bit 1 RESTART IDENTITY, as the stream sends them.</param>
public sealed record CapturedChange(
    ChangeKind Kind, uint RelationId, IReadOnlyList<ColumnValue>? OldValues, bool OldIsKey, IReadOnlyList<ColumnValue>? NewValues,
    IReadOnlyList<uint> TruncatedRelations, byte TruncateFlags)
{
    /// <summary>An insert of <paramref name="values"/> into <paramref name="relation"/>.</summary>
    public static CapturedChange Insert(uint relation, IReadOnlyList<ColumnValue> values) => new(ChangeKind.Insert, relation, null, false, values, [], 0);
}

/// <summary>Log sequence numbers as PostgreSQL writes them (<c>16/B374D848</c>).</summary>
public static class Lsn
{
    /// <summary>The text form of <paramref name="lsn"/>.</summary>
    public static string Format(ulong lsn) => string.Create(CultureInfo.InvariantCulture, $"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}");

    /// <summary>Parses the text form; throws <see cref="FormatException"/> on anything else.</summary>
    public static ulong Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1
            || !uint.TryParse(text.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            throw new FormatException($"'{text}' is not a log sequence number (like 16/B374D848)");
        }

        return ((ulong)high << 32) | low;
    }
}
