namespace Lifeboat.Postgres;

/// <summary>The server does not write logical WAL (<c>wal_level</c> is not <c>logical</c>): change capture cannot start.</summary>
public sealed class WalLevelNotLogicalException(string walLevel, string message) : PostgresLifeboatException(message)
{
    /// <summary>What the server has (<c>replica</c> or <c>minimal</c>).</summary>
    public string WalLevel { get; } = walLevel;
}

/// <summary>The role may not open a replication connection (no REPLICATION attribute).</summary>
public sealed class ReplicationNotPermittedException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);

/// <summary>The connection goes through a pooler (PgBouncer, Supavisor) that does not pass replication connections.</summary>
public sealed class ReplicationThroughPoolerException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);

/// <summary>
/// Tables that would be published have no primary key or replica identity: once published, the
/// server refuses UPDATE and DELETE on them, so capture refuses to publish them.
/// </summary>
public sealed class TablesWithoutReplicaIdentityException(IReadOnlyList<string> tables, string message) : PostgresLifeboatException(message)
{
    /// <summary>The tables, quoted and qualified.</summary>
    public IReadOnlyList<string> Tables { get; } = tables;
}

/// <summary>The slot to follow is gone (dropped, or lost by a failover or a provider's operation) or invalidated: the log cannot continue; a new base is needed.</summary>
public sealed class ReplicationSlotLostException(string message) : PostgresLifeboatException(message);
