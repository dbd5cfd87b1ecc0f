namespace Lifeboat.Postgres;

/// <summary>How to restore a whole capture.</summary>
public sealed record RestoreOptions
{
    /// <summary>Parallel connections for COPY FROM and for pg_restore's post-data (index builds).</summary>
    public int Jobs { get; init; } = 4;

    /// <summary>Drop every user schema, extension and large object of the target first (otherwise a non-empty target is refused).</summary>
    public bool Clean { get; init; }

    /// <summary>pg_restore --no-owner: objects belong to the restoring role (use when the source's roles do not exist on the target).</summary>
    public bool NoOwner { get; init; }

    /// <summary>pg_restore --no-privileges: skip GRANT / REVOKE.</summary>
    public bool NoPrivileges { get; init; }

    /// <summary>First apply the roles and tablespaces the capture took with <c>--globals</c> (see GlobalsRestore).</summary>
    public bool Globals { get; init; }

    /// <summary>
    /// Leave planner statistics behind: ANALYZE each table right after its rows are loaded, and after
    /// post-data what needs the indexes or the whole tree (partitioned tables, inheritance parents,
    /// expression indexes, materialized views). Off (<c>--no-analyze</c>, like pg_restore) leaves them
    /// to autovacuum.
    /// </summary>
    public bool Analyze { get; init; } = true;

    /// <summary>
    /// A table at least twice this size may be loaded in parts, on several connections at once
    /// (see TableLoadPlan); no part is smaller. 32 MiB by default.
    /// </summary>
    public long MinimumPartBytes { get; init; } = TableLoadPlan.DefaultMinimumPartBytes;

    /// <summary>Where pg_restore / psql live (--pg-bin); null = search PATH and /usr/lib/postgresql/*/bin.</summary>
    public string? PgBinDirectory { get; init; }
}
