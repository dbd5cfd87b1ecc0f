namespace Lifeboat.Postgres;

/// <summary>What to capture and how.</summary>
public sealed record CaptureOptions
{
    /// <summary>Worker connections copying tables in parallel (at least 1).</summary>
    public int Jobs { get; init; } = 4;

    /// <summary>Only these schemas (pg_dump -n patterns); empty = all.</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];

    /// <summary>Not these schemas (pg_dump -N patterns).</summary>
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];

    /// <summary>Only these tables (pg_dump -t patterns); when given, <see cref="Schemas"/> is ignored as in pg_dump.</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>Not these tables (pg_dump -T patterns).</summary>
    public IReadOnlyList<string> ExcludeTables { get; init; } = [];

    /// <summary>
    /// Tables whose rows are captured although their definitions are not (their schema is
    /// excluded): the target must have them already, e.g. a Supabase project's auth.users.
    /// </summary>
    public IReadOnlyList<string> DataOnlyTables { get; init; } = [];

    /// <summary>The profile applied (e.g. <c>supabase</c>), recorded in the manifest so a restore follows it too.</summary>
    public string? Profile { get; init; }

    /// <summary>Keep the definition of these tables but not their rows (pg_dump --exclude-table-data).</summary>
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];

    /// <summary>Capture large objects; null = pg_dump's default (yes unless --schema or --table is given).</summary>
    public bool? LargeObjects { get; init; }

    /// <summary>Also capture roles and tablespaces with <c>pg_dumpall --globals-only --no-role-passwords</c> (skipped with a warning when not allowed).</summary>
    public bool Globals { get; init; }

    /// <summary>Where pg_dump / pg_restore / psql live (--pg-bin); null = search PATH and /usr/lib/postgresql/*/bin.</summary>
    public string? PgBinDirectory { get; init; }

    /// <summary>
    /// Tables at least this large on disk are read through a <c>psql</c> child process (libpq reads
    /// COPY rows at about a third of Npgsql's CPU cost, in a process of its own); smaller ones through
    /// the worker's connection, which saves a process start per table. 0 = every table through psql;
    /// <see cref="long.MaxValue"/> = none. Both give the same bytes.
    /// </summary>
    public long PsqlCopyMinBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// Read every table in physical order (<c>COPY table</c>), as pg_dump does. By default a table of
    /// wide rows with a growing primary key whose rows lie about in key order is read in key order (see
    /// <see cref="CatalogReader.OrderKeySql"/>): an index scan costs the server some CPU (figures in
    /// bench/README.md, "Figures behind choices in the code"), and new rows then change the end of the
    /// stream only, instead of a chunk wherever PostgreSQL reused freed space.
    /// </summary>
    public bool PhysicalOrder { get; init; }

    /// <summary>Receives progress (bytes so far, tables done) while the capture runs.</summary>
    public IProgress<CaptureProgress>? Progress { get; init; }
}

/// <summary>Progress of a capture.</summary>
/// <param name="BytesDone">COPY bytes stored so far.</param>
/// <param name="BytesEstimated">The tables' size on disk (a rough total for a progress bar).</param>
/// <param name="TablesDone">Tables finished.</param>
/// <param name="TablesTotal">Tables to copy.</param>
/// <param name="LastObject">The table or large object finished last, if any.</param>
public sealed record CaptureProgress(long BytesDone, long BytesEstimated, int TablesDone, int TablesTotal, string? LastObject);
