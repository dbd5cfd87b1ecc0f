using Npgsql;
using NpgsqlTypes;

namespace Lifeboat.Postgres;

/// <summary>An UPDATE or DELETE being replayed found no row to change (or more than one): the target is not the source as it was.</summary>
public sealed class ReplayConflictException(string message) : PostgresLifeboatException(message);

/// <summary>
/// Applies captured transactions to a database restored from their base backup, each in one
/// transaction with <c>session_replication_role = replica</c> (triggers and foreign keys behave as on a
/// logical replica: the source checked them already). Values go as untyped text parameters, which the
/// server reads as each column's type. An UPDATE or DELETE finds its row by the replica identity the
/// stream describes (the key; the whole old row for <c>REPLICA IDENTITY FULL</c>, one row of identical ones)
/// and must change exactly one row. Columns marked unchanged (TOAST) keep their value.
/// </summary>
public sealed class ChangeReplay : IAsyncDisposable
{
    private const int BatchSize = 500;

    private readonly NpgsqlConnection _connection;

    private ChangeReplay(NpgsqlConnection connection) => _connection = connection;

    /// <summary>The commit LSN of the last transaction applied, 0 before the first.</summary>
    public ulong LastAppliedLsn { get; private set; }

    /// <summary>Transactions applied.</summary>
    public long Transactions { get; private set; }

    /// <summary>Changes applied.</summary>
    public long Changes { get; private set; }

    /// <summary>Connects to the target.</summary>
    public static async Task<ChangeReplay> OpenAsync(PgConnectionInfo target, CancellationToken cancellationToken) =>
        new(await PgErrors.OpenAsync(target, cancellationToken));

    /// <summary>
    /// Applies one committed transaction: its changes (in order) against the tables <paramref name="relations"/> describes.
    /// Either all of it is applied or, on any failure, none.
    /// </summary>
    public async Task ApplyAsync(
        ulong commitLsn, IReadOnlyDictionary<uint, RelationInfo> relations, IAsyncEnumerable<CapturedChange> changes, CancellationToken cancellationToken)
    {
        await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await CatalogReader.ExecuteAsync(_connection, "SET LOCAL session_replication_role = replica", cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InsufficientPrivilegeException(
                $"Replay needs to set session_replication_role ({e.MessageText}): replay as a superuser, or on PostgreSQL 15 and later " +
                "GRANT SET ON PARAMETER session_replication_role TO the replaying role.", e);
        }

        var batch = new NpgsqlBatch(_connection, transaction);
        var applied = 0L;
        try
        {
            await foreach (var change in changes.WithCancellation(cancellationToken))
            {
                batch.BatchCommands.Add(Statement(change, relations));
                applied++;
                if (batch.BatchCommands.Count >= BatchSize)
                {
                    await RunAsync(batch, cancellationToken);
                    batch.Dispose();
                    batch = new NpgsqlBatch(_connection, transaction);
                }
            }

            await RunAsync(batch, cancellationToken);
        }
        finally
        {
            batch.Dispose();
        }

        await transaction.CommitAsync(cancellationToken);
        LastAppliedLsn = commitLsn;
        Transactions++;
        Changes += applied;
    }

    private static async Task RunAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        if (batch.BatchCommands.Count == 0)
        {
            return;
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        foreach (var command in batch.BatchCommands)
        {
            if (command.CommandText.StartsWith("UPDATE", StringComparison.Ordinal) || command.CommandText.StartsWith("DELETE", StringComparison.Ordinal))
            {
                if (command.RecordsAffected != 1)
                {
                    throw new ReplayConflictException(
                        $"replaying `{command.CommandText}` changed {command.RecordsAffected} rows instead of 1: the target is not the source as it was before this change " +
                        "(it was not restored from the base of this log, or something else changed it)");
                }
            }
        }
    }

    /// <summary>The statement that makes <paramref name="change"/> (internal for tests of the SQL it writes).</summary>
    internal static NpgsqlBatchCommand Statement(CapturedChange change, IReadOnlyDictionary<uint, RelationInfo> relations)
    {
        if (change.Kind == ChangeKind.Truncate)
        {
            var names = string.Join(", ", change.TruncatedRelations.Select(r => Relation(relations, r).QualifiedName));
            var options = ((change.TruncateFlags & 2) != 0 ? " RESTART IDENTITY" : "") + ((change.TruncateFlags & 1) != 0 ? " CASCADE" : "");
            return new NpgsqlBatchCommand($"TRUNCATE ONLY {names}{options}");
        }

        var relation = Relation(relations, change.RelationId);
        var command = new NpgsqlBatchCommand();
        command.CommandText = change.Kind switch
        {
            ChangeKind.Insert => Insert(relation, Values(change.NewValues, relation), command),
            ChangeKind.Update => Update(relation, change, command),
            ChangeKind.Delete => $"DELETE FROM ONLY {relation.QualifiedName} WHERE {Where(relation, change.OldValues, change.OldIsKey, command)}",
            _ => throw new ArgumentException($"unknown change kind {change.Kind}"),
        };
        return command;
    }

    private static string Insert(RelationInfo relation, IReadOnlyList<ColumnValue> values, NpgsqlBatchCommand command)
    {
        var columns = new List<string>();
        var parameters = new List<string>();
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Kind != ValueKind.Unchanged)
            {
                columns.Add(Sql.Ident(relation.Columns[i].Name));
                parameters.Add(Parameter(command, values[i]));
            }
        }

        return $"INSERT INTO {relation.QualifiedName} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", parameters)})";
    }

    private static string Update(RelationInfo relation, CapturedChange change, NpgsqlBatchCommand command)
    {
        var values = Values(change.NewValues, relation);
        var set = new List<string>();
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Kind != ValueKind.Unchanged)
            {
                set.Add($"{Sql.Ident(relation.Columns[i].Name)} = {Parameter(command, values[i])}");
            }
        }

        // without an old tuple the key did not change: the new row's key columns find the row
        var where = change.OldValues is null ? Where(relation, values, oldIsKey: true, command) : Where(relation, change.OldValues, change.OldIsKey, command);
        return set.Count == 0
            ? $"UPDATE ONLY {relation.QualifiedName} SET {Sql.Ident(relation.Columns[0].Name)} = {Sql.Ident(relation.Columns[0].Name)} WHERE {where}"
            : $"UPDATE ONLY {relation.QualifiedName} SET {string.Join(", ", set)} WHERE {where}";
    }

    /// <summary>The row's condition: its key columns, or (full identity) one row of those equal to every old value.</summary>
    private static string Where(RelationInfo relation, IReadOnlyList<ColumnValue>? old, bool oldIsKey, NpgsqlBatchCommand command)
    {
        var values = Values(old, relation);
        var keyOnly = oldIsKey || relation.ReplicaIdentity != 'f';
        var conditions = new List<string>();
        for (var i = 0; i < values.Count; i++)
        {
            if ((keyOnly && !relation.Columns[i].IsKey) || values[i].Kind == ValueKind.Unchanged)
            {
                continue;
            }

            // a key is never null (and = can use its index); a full old row may hold nulls
            conditions.Add($"{Sql.Ident(relation.Columns[i].Name)} {(keyOnly ? "=" : "IS NOT DISTINCT FROM")} {Parameter(command, values[i])}");
        }

        if (conditions.Count == 0)
        {
            throw new ReplayConflictException($"a change of {relation.QualifiedName} names no key column: it cannot be found on the target");
        }

        var condition = string.Join(" AND ", conditions);
        return relation.ReplicaIdentity == 'f' && !oldIsKey
            ? $"ctid = (SELECT ctid FROM ONLY {relation.QualifiedName} WHERE {condition} LIMIT 1)"
            : condition;
    }

    private static IReadOnlyList<ColumnValue> Values(IReadOnlyList<ColumnValue>? values, RelationInfo relation) =>
        values is not null && values.Count == relation.Columns.Count
            ? values
            : throw new ReplayConflictException($"a change of {relation.QualifiedName} has {values?.Count ?? 0} values for {relation.Columns.Count} columns");

    private static string Parameter(NpgsqlBatchCommand command, ColumnValue value)
    {
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Unknown,
            Value = value.Kind == ValueKind.Text ? value.Text! : DBNull.Value,
        });
        return "$" + command.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static RelationInfo Relation(IReadOnlyDictionary<uint, RelationInfo> relations, uint id) =>
        relations.TryGetValue(id, out var relation) ? relation : throw new ReplayConflictException($"a change names relation {id}, which the log does not describe");

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
