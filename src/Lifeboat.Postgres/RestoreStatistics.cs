using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// Planner statistics after a restore. A freshly loaded table has none until someone runs ANALYZE
/// (autovacuum does, within about a minute, when it is on), and until then the planner guesses:
/// the first queries on a restored database can pick bad plans. So each table is analyzed as soon as
/// its rows are in (by the worker that loaded it, while the others still load), and after post-data
/// only what that cannot cover is analyzed again.
/// </summary>
public sealed partial class PostgresRestore
{
    /// <summary>
    /// Relations whose statistics need post-data objects or other tables' rows: partitioned tables
    /// (statistics over all partitions), inheritance parents (statistics over the whole tree),
    /// tables with expression indexes (ANALYZE collects statistics on an indexed expression only
    /// once the index exists) and materialized views (filled by post-data).
    /// </summary>
    private const string NeedsAnalyzeAfterPostData = """
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
          AND (c.relkind IN ('p', 'm')
               OR (c.relkind = 'r' AND (c.relhassubclass
                   OR EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indexprs IS NOT NULL))))
        ORDER BY 1
        """;

    /// <summary>ANALYZE one table (a quoted, qualified name).</summary>
    internal static async Task AnalyzeAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        try
        {
            await CatalogReader.ExecuteAsync(connection, "ANALYZE " + table, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new RestoreFailedException(table, $"Analyzing {table} failed: {ex.MessageText}", ex);
        }
    }

    /// <summary>Analyzes what the per-table ANALYZE after loading could not cover (see <see cref="NeedsAnalyzeAfterPostData"/>).</summary>
    private static async Task AnalyzeAfterPostDataAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var relations = new List<string>();
        await using (var command = new NpgsqlCommand(NeedsAnalyzeAfterPostData, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                relations.Add(reader.GetString(0));
        }
        foreach (var relation in relations)
            await AnalyzeAsync(connection, relation, cancellationToken);
    }
}
