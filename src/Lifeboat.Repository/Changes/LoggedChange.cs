using System.Globalization;

namespace Lifeboat.Repository.Changes;

/// <summary>What a logged change does (§16 of repository-format.md: the byte values are the format's).</summary>
public enum LoggedChangeKind : byte
{
    /// <summary>A new row.</summary>
    Insert = 1,

    /// <summary>A changed row: the new values, and the old key or row when the source sent one.</summary>
    Update = 2,

    /// <summary>A removed row, identified by its old key or row.</summary>
    Delete = 3,

    /// <summary>TRUNCATE of the tables listed.</summary>
    Truncate = 4,
}

/// <summary>What one column of a logged row holds (byte values are the format's).</summary>
public enum LoggedValueKind : byte
{
    /// <summary>SQL NULL.</summary>
    Null = 0,

    /// <summary>A TOASTed value the change did not touch: the column keeps the value it had.</summary>
    Unchanged = 1,

    /// <summary>A value in PostgreSQL's text form.</summary>
    Text = 2,
}

/// <summary>One column's value.</summary>
/// <param name="Kind">Null, unchanged, or text.</param>
/// <param name="Text">The text form, only for <see cref="LoggedValueKind.Text"/>.</param>
public readonly record struct LoggedValue(LoggedValueKind Kind, string? Text);

/// <summary>A column of a logged table.</summary>
/// <param name="Name">Its name.</param>
/// <param name="TypeOid">Its type's oid on the source.</param>
/// <param name="TypeModifier">Its type modifier (-1 for none).</param>
/// <param name="IsKey">Whether it is part of the replica identity.</param>
public sealed record LoggedColumn(string Name, uint TypeOid, int TypeModifier, bool IsKey);

/// <summary>A table as the source described it when a transaction changed it.</summary>
/// <param name="Id">Its oid on the source, which <see cref="LoggedChange.RelationId"/> names.</param>
/// <param name="Schema">Its schema.</param>
/// <param name="Name">Its name.</param>
/// <param name="ReplicaIdentity"><c>d</c>, <c>n</c>, <c>f</c> or <c>i</c>, as pg_class.relreplident.</param>
/// <param name="Columns">Its columns in the rows' order.</param>
public sealed record LoggedRelation(uint Id, string Schema, string Name, char ReplicaIdentity, IReadOnlyList<LoggedColumn> Columns);

/// <summary>One change of a logged transaction.</summary>
/// <param name="Kind">Insert, update, delete or truncate.</param>
/// <param name="RelationId">The table changed (0 for a truncate).</param>
/// <param name="OldValues">The old key or row, when there is one.</param>
/// <param name="OldIsKey">Whether <paramref name="OldValues"/> holds only the key's columns.</param>
/// <param name="NewValues">The new row of an insert or update.</param>
/// <param name="TruncatedRelations">The tables a truncate empties.</param>
/// <param name="TruncateFlags">Bit 0 CASCADE, bit 1 RESTART IDENTITY.</param>
public sealed record LoggedChange(
    LoggedChangeKind Kind, uint RelationId, IReadOnlyList<LoggedValue>? OldValues, bool OldIsKey, IReadOnlyList<LoggedValue>? NewValues,
    IReadOnlyList<uint> TruncatedRelations, byte TruncateFlags);

/// <summary>A committed transaction's header in the log.</summary>
/// <param name="Xid">Its transaction id on the source.</param>
/// <param name="CommitLsn">The LSN of its commit record.</param>
/// <param name="EndLsn">The LSN just past it: a slot may be acknowledged up to here once the transaction is durable.</param>
/// <param name="CommitTime">When it committed (microseconds are kept).</param>
/// <param name="Relations">Every table its changes name.</param>
/// <param name="ChangeCount">How many changes follow it.</param>
public sealed record LoggedTransaction(uint Xid, ulong CommitLsn, ulong EndLsn, DateTimeOffset CommitTime, IReadOnlyList<LoggedRelation> Relations, long ChangeCount);

/// <summary>LSNs in their PostgreSQL text form (<c>16/B374D848</c>), as the log's JSON writes them.</summary>
public static class LogPosition
{
    /// <summary>The text form.</summary>
    public static string Format(ulong lsn) => string.Create(CultureInfo.InvariantCulture, $"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}");

    /// <summary>Parses the text form; an <see cref="IntegrityException"/> for anything else (it comes from a stored object).</summary>
    public static ulong Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0
            || !uint.TryParse(text.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            throw new IntegrityException($"'{text}' is not a log sequence number");
        }

        return ((ulong)high << 32) | low;
    }
}
