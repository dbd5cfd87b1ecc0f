using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// CREATE and DROP DATABASE as Lifeboat runs them for the databases it makes itself (a <c>restore --create</c>'s
/// staging database, a drill's scratch database), on a connection to the server's maintenance database.
/// </summary>
internal static class ServerDatabase
{
    /// <summary>Connects to the maintenance database of <paramref name="target"/>'s server: <c>postgres</c>, or <c>template1</c> for a database named <c>postgres</c>.</summary>
    public static Task<NpgsqlConnection> OpenMaintenanceAsync(PgConnectionInfo target, CancellationToken cancellationToken) =>
        PgErrors.OpenAsync(target.WithDatabase(target.Database == "postgres" ? "template1" : "postgres"), cancellationToken);

    /// <summary>Creates <paramref name="database"/>.</summary>
    /// <param name="mayNotCreate">What to tell a role that may not create databases (what to do instead).</param>
    /// <exception cref="InsufficientPrivilegeException">The role may not create databases.</exception>
    public static async Task CreateAsync(NpgsqlConnection maintenance, string database, string mayNotCreate, CancellationToken cancellationToken)
    {
        try
        {
            await CatalogReader.ExecuteAsync(maintenance, $"CREATE DATABASE {Sql.Ident(database)}", cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InsufficientPrivilegeException(mayNotCreate, e);
        }
    }

    /// <summary>Drops <paramref name="database"/> if it exists, ending its sessions.</summary>
    public static async Task DropAsync(NpgsqlConnection maintenance, string database, CancellationToken cancellationToken)
    {
        // the sessions of a killed restore may linger until the server notices: FORCE ends them (PostgreSQL 13+)
        if (maintenance.PostgreSqlVersion.Major < 13)
        {
            await using var terminate = new NpgsqlCommand(
                "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()", maintenance);
            terminate.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database });
            await terminate.ExecuteNonQueryAsync(cancellationToken);
        }

        var force = maintenance.PostgreSqlVersion.Major >= 13 ? " WITH (FORCE)" : "";
        await CatalogReader.ExecuteAsync(maintenance, $"DROP DATABASE IF EXISTS {Sql.Ident(database)}{force}", cancellationToken);
    }
}
