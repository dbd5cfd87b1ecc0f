using Lifeboat.Postgres;

namespace Lifeboat.Operations.Tests.Support;

/// <summary>
/// One throwaway cluster for the test classes of this assembly, with database <c>app</c>: the
/// Supabase-like fixture plus a bulk table of ~7 MB, so that a backup spans several packs.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public PgConnectionInfo Connection(string database) => PgConnectionInfo.Parse(Cluster.Url(database));

    public async Task InitializeAsync()
    {
        _cluster = await ThrowawayCluster.StartAsync();
        var sql = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "supabase_like.sql"));
        await _cluster.CreateDatabaseAsync("app");
        await _cluster.ExecuteAsync(sql, "app");
        await _cluster.ExecuteAsync(
            """
            CREATE TABLE public.bulk_events (id bigint PRIMARY KEY, account uuid NOT NULL, body text NOT NULL);
            INSERT INTO public.bulk_events
            SELECT g, md5(g::text)::uuid, md5((g * 7)::text) || ' ' || md5((g * 13)::text) || ' ' || (g % 977)
            FROM generate_series(1, 80000) g;
            """,
            "app");
    }

    /// <summary>A new database copied from <c>app</c> (CREATE DATABASE ... TEMPLATE), for tests that change data.</summary>
    public async Task<string> CloneAppAsync(string prefix)
    {
        var name = NewName(prefix);
        await Cluster.ExecuteAsync($"CREATE DATABASE {name} TEMPLATE app");
        return name;
    }

    /// <summary>A fresh, unused database name.</summary>
    public static string NewName(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..8];

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>The database test classes share one cluster.</summary>
[CollectionDefinition(Name)]
public sealed class DatabaseCollection : ICollectionFixture<DatabaseFixture>
{
    public const string Name = "database";
}
