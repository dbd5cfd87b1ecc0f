namespace Lifeboat.Postgres.Subjects;

/// <summary>What subject restore does with a row whose key the live table holds already with other values.</summary>
public enum SubjectConflict
{
    /// <summary>Keep the live row.</summary>
    Skip,

    /// <summary>Overwrite the live row's other columns with the snapshot's values.</summary>
    Update,

    /// <summary>Restore nothing, and say which table and key.</summary>
    Fail,
}

/// <summary>One change subject restore makes (or, with a dry run, would make).</summary>
/// <param name="Table"><c>schema.name</c>.</param>
/// <param name="Action"><c>insert</c>, <c>update</c>, <c>skip</c> (the key is there with other values) or <c>unchanged</c> (the row is there as in the snapshot).</param>
/// <param name="Key">The row's key as <c>(column, ...)=(value, ...)</c>: the target's primary key, or every column of a table without one.</param>
public sealed record SubjectChange(string Table, string Action, string Key);

/// <summary>What subject restore did to one table.</summary>
/// <param name="Table"><c>schema.name</c>.</param>
/// <param name="Inserted">Rows inserted.</param>
/// <param name="Updated">Live rows overwritten (--on-conflict update).</param>
/// <param name="Skipped">Rows not written: the live row was kept (--on-conflict skip), or it equals the snapshot's already.</param>
public sealed record SubjectTableRestored(string Table, long Inserted, long Updated, long Skipped);

/// <summary>What subject restore did (or would do).</summary>
/// <param name="Tables">Per table, in the order loaded (parents first).</param>
/// <param name="Changes">Every change, row by row; filled only for a dry run.</param>
/// <param name="Committed">The transaction was committed (false for a dry run, which rolls back).</param>
public sealed record SubjectRestoreReport(IReadOnlyList<SubjectTableRestored> Tables, IReadOnlyList<SubjectChange> Changes, bool Committed);

/// <summary>A row of the subject whose key the live table holds with other values, with --on-conflict fail; nothing was changed.</summary>
public sealed class SubjectConflictException(string table, string key, string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException)
{
    /// <summary>The table, <c>schema.name</c>.</summary>
    public string Table { get; } = table;

    /// <summary>The conflicting key, <c>(column)=(value)</c>.</summary>
    public string Key { get; } = key;
}

/// <summary>The target database lacks a table or a column that the subject's rows need; nothing was changed.</summary>
public sealed class SubjectTargetMismatchException(string message) : PostgresLifeboatException(message);
