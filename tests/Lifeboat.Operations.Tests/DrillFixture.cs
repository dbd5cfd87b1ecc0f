using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Crypto;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

/// <summary>One throw-away cluster with the Supabase-like database "app", backed up once into an in-memory repository.</summary>
public sealed class DrillFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public BackupRepository Repository { get; private set; } = null!;

    public SnapshotRecord Snapshot { get; private set; } = null!;

    /// <summary>A second repository holding one snapshot of "hazards" (source_hazards.sql: sequences behind their column, a NOT VALID key with orphans).</summary>
    public BackupRepository HazardRepository { get; private set; } = null!;

    public PgConnectionInfo Scratch => PgConnectionInfo.Parse(Cluster.Url("postgres"));

    public async Task InitializeAsync()
    {
        _cluster = await ThrowawayCluster.StartAsync();
        await _cluster.CreateDatabaseAsync("app");
        await _cluster.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "supabase_like.sql")), "app");
        Repository = await ProofRepositories.InitAsync();
        Snapshot = (await new DatabaseBackup(new OpenedRepository(Repository, "test"), new BackupWriterOptions())
            .RunAsync(new DatabaseBackupRequest(PgConnectionInfo.Parse(_cluster.Url("app")), new CaptureOptions { Jobs = 2 }), null, CancellationToken.None)).Record;
        await _cluster.CreateDatabaseAsync("hazards");
        await _cluster.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "source_hazards.sql")), "hazards");
        HazardRepository = await ProofRepositories.InitAsync();
        await new DatabaseBackup(new OpenedRepository(HazardRepository, "test"), new BackupWriterOptions())
            .RunAsync(new DatabaseBackupRequest(PgConnectionInfo.Parse(_cluster.Url("hazards")), new CaptureOptions { Jobs = 2 }), null, CancellationToken.None);
    }

    /// <summary>Databases on the cluster whose name starts with lifeboat_drill_.</summary>
    public Task<long> DrillDatabasesAsync() =>
        Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat\\_drill\\_%'");

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>Small, fast repositories for tests.</summary>
internal static class ProofRepositories
{
    public const string Password = "operations test password";

    public static Task<BackupRepository> InitAsync(RepositoryContext? context = null, IStorage? storage = null) =>
        Lifeboat.Repository.BackupRepository.InitAsync(
            storage ?? new InMemoryStorage(), Password, new RepositoryInitOptions { Kdf = new KdfParameters(KdfParameters.MinimumMemoryKiB, 1, 1) },
            context ?? RepositoryContext.Default, CancellationToken.None);

    public static EvidenceCheck Check(Drill.DrillResult result, string name) => result.Report.Checks.Single(c => c.Name == name);

    public static IEnumerable<string> Failed(EvidenceCheck check) => check.Items.Where(i => !i.Passed).Select(i => i.Subject);
}
