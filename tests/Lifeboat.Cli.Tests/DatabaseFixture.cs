using Lifeboat.Postgres;

namespace Lifeboat.Cli.Tests;

/// <summary>A throw-away cluster with the Supabase-like fixture database "app", shared by a test class.</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public async Task InitializeAsync()
    {
        _cluster = await ThrowawayCluster.StartAsync();
        var sql = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "supabase_like.sql"));
        await _cluster.CreateDatabaseAsync("app");
        await _cluster.ExecuteAsync(sql, "app");
    }

    /// <summary>A URL without the password (which goes in PGPASSWORD, as users are told to).</summary>
    public string Url(string database) => $"postgresql://{ThrowawayCluster.SuperUser}@127.0.0.1:{Cluster.Port}/{database}";

    public void UsePassword(CliRunner cli) => cli.Environment["PGPASSWORD"] = Cluster.SuperPassword;

    public async Task<IReadOnlyList<TableChecksum>> ChecksumsAsync(string database)
    {
        var info = PgConnectionInfo.Parse(Cluster.Url(database));
        var manifestTables = await ManifestTablesAsync(database);
        return await PostgresVerifier.ComputeChecksumsAsync(info, manifestTables, CancellationToken.None);
    }

    private async Task<List<TableEntry>> ManifestTablesAsync(string database)
    {
        // Capture into memory once to learn the table list the way a backup sees it.
        var sink = new NullSink();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(Cluster.Url(database)), sink, new CaptureOptions { Jobs = 2 }, CancellationToken.None);
        return [.. manifest.Tables.Where(t => t.Stream is not null)];
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private sealed class NullSink : IStreamSink
    {
        public async Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken)
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long length = 0;
            int n;
            while ((n = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                length += n;
            }

            return new StoredStream(length, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
    }
}
