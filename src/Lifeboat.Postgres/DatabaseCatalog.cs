using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>A query's answer, or the error PostgreSQL gave for it (<see cref="Value"/> is then the default).</summary>
public sealed record QueryOutcome<T>(T Value, string? Error)
{
    internal static QueryOutcome<T> Failed(string error) => new(default!, error);
}

/// <summary>Row-level security of a table as the catalog holds it: enabled, forced, and the number of policies.</summary>
public sealed record TableSecurity(TableName Table, bool Enabled, bool Forced, int Policies);

/// <summary>A sequence's <c>last_value</c> and <c>is_called</c>.</summary>
public sealed record SequenceValue(decimal LastValue, bool IsCalled);

/// <summary>A sequence feeding a column, and the column's maximum (its minimum when the sequence counts down; null when it is empty).</summary>
public sealed record FeedValue(decimal LastValue, bool IsCalled, decimal? ColumnExtreme);

/// <summary>
/// The drill's read of a restored database: one connection with row security off (a policy would hide rows)
/// in one read-only repeatable-read transaction. Each query that can fail on the data (an orphan count, a
/// sequence, a custom assertion) runs in a savepoint: its error is the answer's, and the transaction goes on.
/// </summary>
public sealed class DatabaseCatalog : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;

    private DatabaseCatalog(NpgsqlConnection connection) => _connection = connection;

    /// <summary>The server's version, e.g. <c>15.8</c>.</summary>
    public string ServerVersion => _connection.PostgreSqlVersion.ToString();

    /// <summary>Opens the read-only transaction on <paramref name="target"/>.</summary>
    public static async Task<DatabaseCatalog> OpenReadOnlyAsync(PgConnectionInfo target, CancellationToken cancellationToken)
    {
        var connection = await PgErrors.OpenAsync(target, cancellationToken);
        try
        {
            await CatalogReader.ExecuteAsync(connection, "SET row_security = off; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", cancellationToken);
            return new DatabaseCatalog(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ordinary and partitioned tables of the user schemas of <paramref name="target"/> (on a connection of its own).</summary>
    public static async Task<IReadOnlySet<TableName>> ListTablesAsync(PgConnectionInfo target, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(target, cancellationToken);
        return (await IntegrityCatalog.ListTablesAsync(connection, cancellationToken)).ToHashSet();
    }

    /// <summary>Row-level security of every ordinary and partitioned table of the user schemas.</summary>
    public Task<List<TableSecurity>> ListRowSecurityAsync(CancellationToken cancellationToken) =>
        IntegrityCatalog.ListRowSecurityAsync(_connection, cancellationToken);

    /// <summary>Every foreign key of a user table (once per partitioned key).</summary>
    public Task<List<ForeignKeyDefinition>> ListForeignKeysAsync(CancellationToken cancellationToken) =>
        IntegrityCatalog.ListForeignKeysAsync(_connection, cancellationToken);

    /// <summary>The rows of <paramref name="key"/>'s table without a referenced row (MATCH SIMPLE; MATCH FULL also counts partly-null keys).</summary>
    public async Task<QueryOutcome<long>> CountOrphansAsync(ForeignKeyDefinition key, CancellationToken cancellationToken)
    {
        var (values, error) = await FirstRowAsync(key.OrphanCountSql(), cancellationToken);
        return error is null ? new((long)values[0]!, null) : QueryOutcome<long>.Failed(error);
    }

    /// <summary>Every sequence feeding a column of a user table, found through <c>pg_depend</c>.</summary>
    public Task<List<SequenceFeed>> ListSequenceFeedsAsync(CancellationToken cancellationToken) =>
        IntegrityCatalog.ListSequenceFeedsAsync(_connection, cancellationToken);

    /// <summary>The sequence's <c>last_value</c> and <c>is_called</c>.</summary>
    public async Task<QueryOutcome<SequenceValue>> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken)
    {
        var (values, error) = await FirstRowAsync(IntegrityCatalog.SequenceValueSql(sequence.Schema, sequence.Name), cancellationToken);
        return error is null ? new(new SequenceValue((decimal)values[0]!, (bool)values[1]!), null) : QueryOutcome<SequenceValue>.Failed(error);
    }

    /// <summary>The feed's sequence (<c>last_value</c>, <c>is_called</c>) and its column's maximum (minimum when it counts down).</summary>
    public async Task<QueryOutcome<FeedValue>> ReadFeedAsync(SequenceFeed feed, CancellationToken cancellationToken)
    {
        var (values, error) = await FirstRowAsync(feed.StateSql(), cancellationToken);
        return error is null ? new(new FeedValue((decimal)values[0]!, (bool)values[1]!, values[2] as decimal?), null) : QueryOutcome<FeedValue>.Failed(error);
    }

    /// <summary>Whether <paramref name="value"/> is already in the feed's column.</summary>
    public async Task<QueryOutcome<bool>> IsTakenAsync(SequenceFeed feed, decimal value, CancellationToken cancellationToken)
    {
        var (values, error) = await FirstRowAsync(feed.TakenSql(value), cancellationToken);
        return error is null ? new(values[0] is true, null) : QueryOutcome<bool>.Failed(error);
    }

    /// <summary>The table <paramref name="name"/> (as <c>to_regclass</c> resolves it: <c>schema.table</c> or a name on the search path); null when there is none.</summary>
    public async Task<QueryOutcome<TableName?>> FindTableAsync(string name, CancellationToken cancellationToken)
    {
        var (values, error) = await FirstRowAsync(
            $"SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass({Sql.Literal(name)})",
            cancellationToken);
        return error is not null ? QueryOutcome<TableName?>.Failed(error)
            : values is [string schema, string table] ? new(new TableName(schema, table), null)
            : new(null, null);
    }

    /// <summary>The rows of <paramref name="table"/>, counted up to <paramref name="limit"/> (at least 1).</summary>
    public async Task<QueryOutcome<long>> CountRowsAsync(TableName table, long limit, CancellationToken cancellationToken)
    {
        var (values, error) = await FirstRowAsync(
            $"SELECT count(*) FROM (SELECT 1 FROM {Sql.Qualify(table.Schema, table.Name)} LIMIT {Math.Max(1, limit)}) s", cancellationToken);
        return error is null ? new((long)values[0]!, null) : QueryOutcome<long>.Failed(error);
    }

    /// <summary>Limits each following statement of the transaction to <paramref name="timeout"/>.</summary>
    public Task SetStatementTimeoutAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        CatalogReader.ExecuteAsync(_connection, $"SET LOCAL statement_timeout = {(long)timeout.TotalMilliseconds}", cancellationToken);

    /// <summary>
    /// The first row of <paramref name="sql"/> (empty when there is no row; SQL NULL as null), or the error,
    /// without aborting the transaction.
    /// </summary>
    public async Task<QueryOutcome<object?[]>> FirstRowAsync(string sql, CancellationToken cancellationToken)
    {
        await CatalogReader.ExecuteAsync(_connection, "SAVEPOINT lifeboat_check", cancellationToken);
        try
        {
            object?[] values = [];
            await using (var command = new NpgsqlCommand(sql, _connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    values = new object?[reader.FieldCount];
                    for (var i = 0; i < reader.FieldCount; i++)
                        values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }
            }

            await CatalogReader.ExecuteAsync(_connection, "RELEASE SAVEPOINT lifeboat_check", cancellationToken);
            return new(values, null);
        }
        catch (PostgresException e)
        {
            await CatalogReader.ExecuteAsync(_connection, "ROLLBACK TO SAVEPOINT lifeboat_check", cancellationToken);
            return new([], e.MessageText);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
