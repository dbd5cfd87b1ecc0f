using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>Checks and cleaning of a restore target.</summary>
internal static class TargetDatabase
{
    /// <summary>
    /// Up to 10 user objects of the target, as "kind name"; empty when the database is empty.
    /// With <paramref name="platform"/> (a Supabase project), the platform's schemas and
    /// extensions do not count.
    /// </summary>
    public static async Task<List<string>> ListUserObjectsAsync(NpgsqlConnection connection, bool platform, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT kind || ' ' || name FROM (
              SELECT 'relation' AS kind, format('%I.%I', n.nspname, c.relname) AS name
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
              UNION ALL
              SELECT 'function', format('%I.%I', n.nspname, p.proname)
              FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              UNION ALL
              SELECT 'type', format('%I.%I', n.nspname, t.typname)
              FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND t.typtype IN ('e', 'd', 'r', 'b', 'm')
              UNION ALL
              SELECT 'schema', format('%I', nspname) FROM pg_catalog.pg_namespace
              WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema') AND nspname !~ '^pg_'
              UNION ALL
              SELECT 'extension', format('%I', extname) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'
              UNION ALL
              SELECT 'large object', oid::text FROM pg_catalog.pg_largeobject_metadata
            ) objects
            WHERE NOT $1 OR (kind <> 'extension' AND split_part(name, '.', 1) <> ALL($2) AND NOT (kind = 'schema' AND name = ANY($2)))
            LIMIT 10
            """;
        var result = new List<string>();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(platform);
        command.Parameters.AddWithValue(SupabaseProfile.PlatformSchemas.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(reader.GetString(0));
        return result;
    }

    /// <summary>
    /// Drops every user schema (CASCADE), extension and large object, and recreates an empty
    /// <c>public</c> schema with PostgreSQL 15's defaults — in one transaction. With
    /// <paramref name="platform"/>, the Supabase platform's schemas and all extensions are kept.
    /// </summary>
    public static async Task CleanAsync(NpgsqlConnection connection, bool platform, CancellationToken cancellationToken)
    {
        // In a Supabase project (platform) the platform's schemas and extensions stay: only the
        // application's schemas and large objects go (rows in platform tables are the restore's to
        // replace: it refuses duplicates).
        var keptSchemas = platform ? SupabaseProfile.PlatformSchemas.ToArray() : [];
        const string sql = """
            DO $clean$
            DECLARE r record;
            BEGIN
              IF NOT $keep_extensions$ THEN
                FOR r IN SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' LOOP
                  EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
                END LOOP;
              END IF;
              FOR r IN SELECT nspname FROM pg_catalog.pg_namespace
                       WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_'
                         AND nspname <> ALL($kept_schemas$) LOOP
                EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
              END LOOP;
              PERFORM pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata;
              CREATE SCHEMA public AUTHORIZATION pg_database_owner;
              GRANT USAGE ON SCHEMA public TO PUBLIC;
              COMMENT ON SCHEMA public IS 'standard public schema';
            END
            $clean$
            """;
        // DO blocks take no parameters: the schema names are fixed identifiers of this program, quoted as literals.
        var statement = sql
            .Replace("$keep_extensions$", platform ? "true" : "false", StringComparison.Ordinal)
            .Replace("$kept_schemas$", "ARRAY[" + string.Join(",", keptSchemas.Select(Sql.Literal).DefaultIfEmpty("''")) + "]::text[]", StringComparison.Ordinal);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(statement, connection, tx))
            await command.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}
