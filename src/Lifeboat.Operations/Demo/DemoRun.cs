using System.Security.Cryptography;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Check;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Demo;

/// <summary>What the demo did, for its closing summary and for tests.</summary>
public sealed record DemoResult(
    string FirstSnapshot, long BytesRead, long FirstStored, long SecondNewBytes, int TablesVerified, bool Identical, bool CheckOk, double BackupSeconds, double RestoreSeconds);

/// <summary>
/// <c>lifeboat demo</c>: starts a throw-away PostgreSQL cluster with a sample shop database, backs
/// it up into a new local repository, backs it up again (to show deduplication), restores it into
/// a new database, proves the copy identical table by table, checks every byte of the repository,
/// and removes everything again (unless asked to keep it).
/// </summary>
public sealed class DemoRun(TextWriter log)
{
    public async Task<DemoResult> RunAsync(bool keep, CancellationToken cancellationToken)
    {
        if (ThrowawayCluster.FindBinDir() is null)
        {
            throw new PgToolNotFoundException(
                "the demo needs PostgreSQL's server programs (initdb, postgres) to start a throw-away database: apt-get install postgresql", 15);
        }

        var workDirectory = Path.Combine(Path.GetTempPath(), "lifeboat-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(workDirectory);
        var cluster = await ThrowawayCluster.StartAsync(cancellationToken);
        try
        {
            return await RunStepsAsync(cluster, workDirectory, cancellationToken);
        }
        finally
        {
            if (keep)
            {
                log.WriteLine($"kept: the repository at {workDirectory}/repo and the cluster's files at {cluster.RootDir} (the server is stopped)");
            }

            await cluster.DisposeAsync();
            if (!keep)
            {
                TryDelete(workDirectory);
            }
        }
    }

    private async Task<DemoResult> RunStepsAsync(ThrowawayCluster cluster, string workDirectory, CancellationToken cancellationToken)
    {
        log.WriteLine($"1. started a throw-away PostgreSQL {cluster.MajorVersion} on 127.0.0.1:{cluster.Port}");
        await cluster.CreateDatabaseAsync("shop", cancellationToken: cancellationToken);
        await cluster.ExecuteAsync(await ReadSampleSqlAsync(cancellationToken), "shop", cancellationToken);
        var source = PgConnectionInfo.Parse(cluster.Url("shop"));
        log.WriteLine("   loaded a sample shop: auth.users, products, orders (with row-level security), order_items; a view, a function, an enum");

        var repositoryPath = Path.Combine(workDirectory, "repo");
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await using var repository = await BackupRepository.InitAsync(
            new LocalFileStorage(repositoryPath), password, new RepositoryInitOptions(), RepositoryContext.Default, cancellationToken);
        log.WriteLine($"2. created an encrypted repository at {repositoryPath}");

        var first = (await new DatabaseBackup(new OpenedRepository(repository, repositoryPath), new BackupWriterOptions())
            .RunAsync(new DatabaseBackupRequest(source, new CaptureOptions { Jobs = 2 }) { Tags = ["demo"] }, null, cancellationToken)).Record;
        var summary = first.Snapshot.Summary;
        log.WriteLine($"3. backed up {source.Redact()} as snapshot {first.ShortId}: {first.Snapshot.Manifest?["tables"]} tables, " +
            $"{first.Snapshot.Manifest?["rows"]} rows, {Size(summary.BytesRead)} read, {Size(summary.StoredBytes)} stored (compressed, encrypted) in {summary.Seconds:0.0} s");

        var second = (await new DatabaseBackup(new OpenedRepository(repository, repositoryPath), new BackupWriterOptions())
            .RunAsync(new DatabaseBackupRequest(source, new CaptureOptions { Jobs = 2 }) { Tags = ["demo"] }, null, cancellationToken)).Record;
        log.WriteLine($"4. backed up again, unchanged: snapshot {second.ShortId} added {Size(second.Snapshot.Summary.StoredBytes)} (deduplicated)");

        var target = source.WithDatabase("shop_restored");
        var restored = await new DatabaseRestore(new OpenedRepository(repository, repositoryPath)).RunAsync(
            new DatabaseRestoreRequest
            {
                Snapshot = first.Id.ToString(), Target = target, Create = true,
                Mode = new RestoreMode.WholeDatabase { Verify = true, Options = new RestoreOptions { Jobs = 2 } },
            },
            null, cancellationToken);
        var verification = restored.Verification!;
        log.WriteLine($"5. restored snapshot {first.ShortId} into a new database shop_restored in {restored.Seconds:0.0} s");
        log.WriteLine($"6. compared every table of shop_restored with the snapshot's manifest (rows and SHA-256 of its contents):");
        foreach (var table in verification.Checked)
        {
            log.WriteLine($"     {table.Schema + "." + table.Name,-22} {table.Rows,8} rows  sha256 {table.Sha256[..16]}…  {(verification.Mismatches.Any(m => m.Contains(table.Name, StringComparison.Ordinal)) ? "DIFFERENT" : "identical")}");
        }

        var report = await new Checker(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, cancellationToken);
        log.WriteLine($"7. checked the repository: {report.PacksRead} pack(s), {Size(report.BytesRead)} read and authenticated: {(report.Ok ? "no errors" : $"{report.Problems.Count} error(s)")}");
        log.WriteLine();
        log.WriteLine(verification.Ok && report.Ok ? "The restored copy is identical to the original." : "THE RESTORED COPY DIFFERS: see the lines above.");
        log.WriteLine();
        log.WriteLine("To do the same with your database:");
        log.WriteLine("  export LIFEBOAT_REPO=/backups/lifeboat LIFEBOAT_PASSWORD='a long passphrase'");
        log.WriteLine("  lifeboat init");
        log.WriteLine("  PGPASSWORD=... lifeboat backup --db postgres://user@host:5432/mydb");
        log.WriteLine("  lifeboat restore latest --to postgres://user@host:5432/mydb_restored --create --verify");
        return new DemoResult(
            first.Id.ToString(), summary.BytesRead, summary.StoredBytes, second.Snapshot.Summary.NewBytes, verification.Checked.Count,
            verification.Ok, report.Ok, summary.Seconds, restored.Seconds);
    }

    private static async Task<string> ReadSampleSqlAsync(CancellationToken cancellationToken)
    {
        await using var stream = typeof(DemoRun).Assembly.GetManifestResourceStream("Lifeboat.Operations.Demo.shop.sql")
            ?? throw new InvalidOperationException("the demo's sample database script is missing from the build");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / 1048576.0:0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
