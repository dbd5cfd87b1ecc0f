using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// A database a drill creates on a scratch server for itself, restores into and drops afterwards. It is
/// created new (an existing database of that name is refused, so a drop can never take someone else's),
/// and dropped with <c>WITH (FORCE)</c> (PostgreSQL 13 and newer; before that, its sessions are ended first).
/// Both connect to the server's maintenance database (<c>postgres</c>, or <c>template1</c> for a database named <c>postgres</c>).
/// </summary>
public sealed class ScratchDatabase
{
    private ScratchDatabase(PgConnectionInfo connection) => Connection = connection;

    /// <summary>The scratch database itself.</summary>
    public PgConnectionInfo Connection { get; }

    /// <summary>Creates <paramref name="target"/>'s database on its server.</summary>
    /// <exception cref="TargetNotEmptyException">A database of that name exists already.</exception>
    /// <exception cref="InsufficientPrivilegeException">The role may not create databases.</exception>
    public static async Task<ScratchDatabase> CreateAsync(PgConnectionInfo target, CancellationToken cancellationToken)
    {
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(target, cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(target.Database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            throw new TargetNotEmptyException(
                $"database \"{target.Database}\" exists already on the scratch server: the drill restores only into a database it creates itself; run it again (it picks a new name)");
        }

        await ServerDatabase.CreateAsync(connection, target.Database,
            $"role \"{target.User}\" may not create databases on the scratch server, and the drill restores into a database it creates: ALTER ROLE {target.User} CREATEDB, or give --scratch a role that may",
            cancellationToken);

        return new ScratchDatabase(target);
    }

    /// <summary>Drops the database (if it still exists), ending its sessions.</summary>
    public async Task DropAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(Connection, cancellationToken);
        await ServerDatabase.DropAsync(connection, Connection.Database, cancellationToken);
    }
}
