namespace Lifeboat.Postgres.Subjects;

/// <summary>Columns of a table: <c>public.orders.user_id</c>, or <c>public.shipments(order_id, line)</c> for several.</summary>
/// <param name="Table">The table, <c>schema.name</c> as in the snapshot's manifest (unquoted).</param>
/// <param name="Columns">The columns, in the order they pair with the other side of a link.</param>
public sealed record SubjectKey(string Table, IReadOnlyList<string> Columns)
{
    /// <summary>True when both name the same table and the same columns in the same order.</summary>
    public bool SameAs(SubjectKey other) => Table == other.Table && Columns.SequenceEqual(other.Columns, StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Columns.Count == 1 ? $"{Table}.{Columns[0]}" : $"{Table}({string.Join(", ", Columns)})";
}

/// <summary>
/// A reference from the rows of one table to those of another: a foreign key of the snapshot's schema, or a link
/// declared in a subject file for columns without one. A subject's rows are followed from <see cref="Referenced"/>
/// to the rows of <see cref="Referencing"/> that point at them; with <see cref="TwoWay"/>, also back, from the
/// referencing rows to the rows they point at.
/// </summary>
/// <param name="Referencing">The columns holding the reference (the child side, e.g. <c>public.orders.user_id</c>).</param>
/// <param name="Referenced">The columns referred to (the parent side, e.g. <c>auth.users.id</c>).</param>
/// <param name="Declared">Declared in a subject file (compared as text, so the two sides' types may differ), not a foreign key.</param>
/// <param name="TwoWay">Also followed from the referencing rows to the rows they reference.</param>
public sealed record SubjectLink(SubjectKey Referencing, SubjectKey Referenced, bool Declared, bool TwoWay = false);

/// <summary>What makes up a subject: its root rows and the links followed beyond the snapshot's foreign keys.</summary>
public sealed record SubjectQuery
{
    /// <summary>The root table (<c>schema.name</c>, or a name unique across schemas).</summary>
    public required string Root { get; init; }

    /// <summary>An SQL predicate over the root table's columns selecting the subject's root rows, e.g. <c>id = '…'</c>.</summary>
    public required string Where { get; init; }

    /// <summary>Links for columns without a foreign key.</summary>
    public IReadOnlyList<SubjectLink> Links { get; init; } = [];

    /// <summary>Foreign keys, named by their referencing columns, that are followed both ways (from child rows to their parents too).</summary>
    public IReadOnlyList<SubjectKey> TwoWay { get; init; } = [];

    /// <summary>Where pg_restore lives (--pg-bin).</summary>
    public string? PgBinDirectory { get; init; }
}

/// <summary>One table holding rows of the subject.</summary>
/// <param name="Table"><c>schema.name</c>.</param>
/// <param name="Rows">The subject's rows in it.</param>
/// <param name="Path">How it was reached: the root table, then each link's columns on the table reached (e.g. <c>auth.users</c>, <c>public.orders.user_id</c>).</param>
/// <param name="Columns">The columns exported (those a COPY holds: not generated ones).</param>
public sealed record SubjectTable(string Table, long Rows, IReadOnlyList<string> Path, IReadOnlyList<string> Columns);

/// <summary>The WHERE given for the root table is not valid SQL for it.</summary>
public sealed class InvalidSubjectQueryException(string message, Exception? innerException = null) : PostgresLifeboatException(message, innerException);

/// <summary>No row of the root table matches the WHERE.</summary>
public sealed class SubjectNotFoundException(string message) : PostgresLifeboatException(message);
