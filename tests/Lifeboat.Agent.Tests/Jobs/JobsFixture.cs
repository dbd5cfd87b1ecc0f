using System.Globalization;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;
using Lifeboat.Storage;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Lifeboat.Agent.Tests.Jobs;

/// <summary>One throwaway cluster for the job tests, with database <c>app</c> (a table of a few megabytes, so a backup spans several packs).</summary>
public sealed class JobsFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public async Task InitializeAsync()
    {
        _cluster = await ThrowawayCluster.StartAsync();
        await _cluster.CreateDatabaseAsync("app");
        await _cluster.ExecuteAsync(
            """
            CREATE TABLE public.events (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO public.events SELECT g, md5(g::text) || ' ' || md5((g * 7)::text) || ' ' || (g % 977) FROM generate_series(1, 200000) g;
            CREATE TABLE public.accounts (id int PRIMARY KEY, name text NOT NULL);
            INSERT INTO public.accounts SELECT g, 'account ' || g FROM generate_series(1, 100) g;
            """,
            "app");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class JobsCollection : ICollectionFixture<JobsFixture>
{
    public const string Name = "jobs";
}

/// <summary>
/// A plan file of local repositories (<c>main</c>, <c>offsite</c>; <c>missing</c> is a directory holding none) and
/// the source <c>app</c> on the fixture's cluster (its password in a password_file), and the jobs to run it with.
/// </summary>
internal sealed class JobsWorld : IAsyncDisposable
{
    public const string MainPassword = "main repository password";
    public const string OffsitePassword = "offsite repository password";

    private static readonly RepositoryInitOptions SmallOptions = new()
    {
        Chunker = new ChunkerParameters(16 * 1024, 64 * 1024, 256 * 1024),
        PackSize = 1024 * 1024,
        Kdf = new KdfParameters(KdfParameters.MinimumMemoryKiB, 1, 1),
    };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lifeboat-jobs-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal) { ["LB_TEST_MAIN"] = MainPassword };

    private JobsWorld(ThrowawayCluster cluster) => Cluster = cluster;

    public ThrowawayCluster Cluster { get; }

    public string Folder => _folder;

    public string MainDirectory => Path.Combine(_folder, "main");

    public string OffsiteDirectory => Path.Combine(_folder, "offsite");

    public string SourcePasswordFile => Path.Combine(_folder, "db.pass");

    /// <summary>The environment the jobs read (<c>${LB_TEST_MAIN}</c> is set; nothing else).</summary>
    public IDictionary<string, string> Environment => _environment;

    public static async Task<JobsWorld> CreateAsync(ThrowawayCluster cluster)
    {
        var world = new JobsWorld(cluster);
        Directory.CreateDirectory(world.Folder);
        Directory.CreateDirectory(Path.Combine(world.Folder, "missing"));
        await File.WriteAllTextAsync(Path.Combine(world.Folder, "offsite.pass"), OffsitePassword + "\n");
        await File.WriteAllTextAsync(world.SourcePasswordFile, cluster.SuperPassword + "\n");
        await (await BackupRepository.InitAsync(new LocalFileStorage(world.MainDirectory), MainPassword, SmallOptions, RepositoryContext.Default, CancellationToken.None)).DisposeAsync();
        await (await BackupRepository.InitAsync(new LocalFileStorage(world.OffsiteDirectory), OffsitePassword, SmallOptions, RepositoryContext.Default, CancellationToken.None)).DisposeAsync();
        return world;
    }

    /// <summary>A plan file whose plan <c>app</c> has <paramref name="planExtra"/> (YAML lines at the plan's indent) and copies <paramref name="copies"/>.</summary>
    public PlanFile.PlanFile Plan(string planExtra = "", string copies = "[offsite]", int? port = null, string mainPassword = "\"${LB_TEST_MAIN}\"")
    {
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            repositories:
              main: { url: {{MainDirectory}}, password: {{mainPassword}} }
              offsite: { url: {{OffsiteDirectory}}, password_file: {{Path.Combine(Folder, "offsite.pass")}} }
              missing: { url: {{Path.Combine(Folder, "missing")}}, password_file: {{Path.Combine(Folder, "offsite.pass")}} }
            sources:
              app:
                db: postgresql://postgres@127.0.0.1:{{port ?? Cluster.Port}}/app
                password_file: {{SourcePasswordFile}}
                jobs: 2
            plans:
              app:
                source: app
                repository: main
                copies: {{copies}}
                backup: { schedule: every 6h, tags: [scheduled] }
            {{Indent(planExtra)}}
            """);
        return PlanFileReader.Parse(text, Path.Combine(Folder, "lifeboat.yaml"));
    }

    /// <summary>The scratch server of a drill: the cluster's Unix socket (trusted: no password).</summary>
    public string Scratch => $"\"host={Cluster.RootDir} port={Cluster.Port} user=postgres dbname=postgres\"";

    public PlanJobs Jobs(TimeSpan? firstLockWait = null, TimeSpan? copyLockPatience = null) => new(new LocalRepositories(), new PlanJobsOptions
    {
        CopyLockPatience = copyLockPatience ?? TimeSpan.FromMinutes(2),
        Environment = name => _environment.GetValueOrDefault(name),
        FirstLockWait = firstLockWait ?? TimeSpan.FromMilliseconds(200),
        MaxLockWait = TimeSpan.FromSeconds(1),
        StatusInterval = TimeSpan.Zero,
    });

    public Task<BackupRepository> OpenMainAsync() =>
        BackupRepository.OpenAsync(new LocalFileStorage(MainDirectory), MainPassword, RepositoryContext.Default, CancellationToken.None);

    public Task<BackupRepository> OpenOffsiteAsync() =>
        BackupRepository.OpenAsync(new LocalFileStorage(OffsiteDirectory), OffsitePassword, RepositoryContext.Default, CancellationToken.None);

    /// <summary>Snapshots of another source (streams named "other") in <c>main</c>.</summary>
    public async Task AddOtherSnapshotsAsync(int count)
    {
        await using var main = await OpenMainAsync();
        for (var i = 0; i < count; i++)
        {
            var writer = new BackupWriter(main, await MasterIndex.LoadAsync(main, CancellationToken.None), new BackupWriterOptions());
            await writer.AddStreamAsync("other.dump", new MemoryStream([1, 2, 3, (byte)i]), CancellationToken.None);
            await writer.CommitAsync(new SnapshotDescription("stream", "other", [], "test"), CancellationToken.None);
        }
    }

    public static async Task<List<SnapshotRecord>> SnapshotsAsync(BackupRepository repository) =>
        [.. (await SnapshotStore.LoadAllAsync(repository, null, CancellationToken.None)).OrderBy(r => r.Snapshot.Time)];

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string Indent(string lines) =>
        string.Join('\n', lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => "    " + line));

    /// <summary>Local directories, as the CLI opens a local <c>--repo</c>.</summary>
    private sealed class LocalRepositories : IRepositoryOpeners
    {
        public IRepositoryOpener For(RepositorySettings repository, Func<string> password) => new Opener(repository.Url, password);

        private sealed class Opener(string directory, Func<string> password) : IRepositoryOpener
        {
            public string Location => directory;

            public async Task<BackupRepository> OpenAsync(CancellationToken cancellationToken)
            {
                var storage = new LocalFileStorage(directory);
                try
                {
                    return await BackupRepository.OpenAsync(storage, password(), RepositoryContext.Default, cancellationToken);
                }
                catch
                {
                    await storage.DisposeAsync();
                    throw;
                }
            }
        }
    }
}

/// <summary>The status lines a job said, in order.</summary>
internal sealed class StatusLines : IProgress<string>
{
    private readonly List<string> _lines = [];

    public event Action<string>? Said;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public void Report(string value)
    {
        lock (_lines)
        {
            _lines.Add(value);
        }

        Said?.Invoke(value);
    }
}
