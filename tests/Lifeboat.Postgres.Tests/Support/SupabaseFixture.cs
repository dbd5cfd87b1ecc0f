using Lifeboat.Postgres;

namespace Lifeboat.Postgres.Tests.Support;

/// <summary>A cluster holding the Supabase-like database <c>source</c>, captured once.</summary>
public sealed class SupabaseFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster!;

    public MemoryStreamStore Store { get; } = new();

    public BackupManifest Manifest { get; private set; } = null!;

    public PgConnectionInfo Source => Connection("source");

    public PgConnectionInfo Connection(string database) => PgConnectionInfo.Parse(Cluster.Url(database));

    public async Task InitializeAsync()
    {
        _cluster = await ThrowawayCluster.StartAsync();
        await Cluster.CreateDatabaseAsync("source");
        var sql = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "supabase_like.sql"));
        await Cluster.ExecuteAsync(sql, "source");
        Manifest = await new PostgresCapture().CaptureAsync(Source, Store, new CaptureOptions { Jobs = 3 }, default);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }

    /// <summary>pg_dump --schema-only, without comments, blank lines and the random \restrict keys.</summary>
    public async Task<string> SchemaAsync(string database)
    {
        var dump = await Cluster.RunClientAsync("pg_dump", ["--schema-only", "--dbname=" + database]);
        return string.Join('\n', dump.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith("\\restrict", StringComparison.Ordinal)
                        && !l.StartsWith("\\unrestrict", StringComparison.Ordinal)));
    }

    /// <summary>OID and md5 of every large object, and comments on them.</summary>
    public Task<string> LargeObjectsAsync(string database)
        => Cluster.ScalarAsync<string>(
            "SELECT coalesce(string_agg(oid || ':' || md5(lo_get(oid)) || ':' || coalesce(obj_description(oid, 'pg_largeobject'), ''), ',' ORDER BY oid), '') FROM pg_largeobject_metadata",
            database);

    /// <summary>Every sequence's last_value and is_called.</summary>
    public Task<string> SequencesAsync(string database)
        => Cluster.ScalarAsync<string>(
            "SELECT string_agg(schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'null'), ',' ORDER BY schemaname, sequencename) FROM pg_sequences",
            database);

    public async Task<string> NewDatabaseAsync(string prefix, string? owner = null)
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
        await Cluster.CreateDatabaseAsync(name, owner);
        return name;
    }
}

/// <summary>The test classes using the Supabase-like database share one cluster and one capture.</summary>
[CollectionDefinition(Name)]
public sealed class SupabaseCollection : ICollectionFixture<SupabaseFixture>
{
    public const string Name = "supabase";
}
