using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>End to end through the CLI with repositories on S3 (s3rver), Azure (azurite) and SFTP (OpenSSH sshd).</summary>
public sealed class RemoteRepositoryTests : IClassFixture<DatabaseFixture>, IClassFixture<EmulatorFixture>, IDisposable
{
    private readonly DatabaseFixture _db;
    private readonly EmulatorFixture _emulators;
    private readonly TestRepo _repo = new();

    public RemoteRepositoryTests(DatabaseFixture db, EmulatorFixture emulators)
    {
        _db = db;
        _emulators = emulators;
        _db.UsePassword(_repo.Cli);
        _emulators.Configure(_repo.Cli);
    }

    [Fact]
    public async Task A_database_round_trip_through_s3_restores_identically()
    {
        await RoundTripAsync(_emulators.S3Url(), "app_from_s3");
    }

    [Fact]
    public async Task A_database_round_trip_through_azure_restores_identically()
    {
        await RoundTripAsync(EmulatorFixture.AzureUrl(), "app_from_azure");
    }

    [Fact]
    public async Task A_database_round_trip_through_sftp_restores_identically_and_check_read_data_downloads_every_pack_over_sftp()
    {
        var (location, directory) = _emulators.SftpRepository();
        await RoundTripAsync(location, "app_from_sftp");
        var packs = Directory.EnumerateFiles(Path.Combine(directory, "data"), "*", SearchOption.AllDirectories).ToList();
        packs.Should().NotBeEmpty("the repository lives in the sshd's directory");
        var victim = packs.OrderByDescending(p => new FileInfo(p).Length).First();
        TestRepo.FlipByte(victim);

        var check = await Run("-r", location, "check", "--read-data");

        check.ExitCode.Should().Be(3, check.ToString());
        check.Stderr.Should().Contain(Path.GetFileName(victim), "every pack was downloaded over SFTP and hashed");
    }

    [Fact]
    public async Task Copies_from_local_to_s3_and_on_to_azure_check_clean_on_every_side_and_restore_identically()
    {
        var s3 = _emulators.S3Url();
        var azure = EmulatorFixture.AzureUrl();
        await _repo.InitAsync();
        (await Run("backup", "--db", _db.Url("app"), "--jobs", "2")).ExitCode.Should().Be(0);
        await InitAsync(s3, "s3 password");
        await InitAsync(azure, "azure password");

        var toS3 = await Run(["copy", "--from", _repo.Path_, "--to", s3, "--json"], ("LIFEBOAT_FROM_PASSWORD", TestRepo.Password), ("LIFEBOAT_PASSWORD", "s3 password"));
        var toAzure = await Run(["copy", "--from", s3, "--to", azure, "--json"], ("LIFEBOAT_FROM_PASSWORD", "s3 password"), ("LIFEBOAT_PASSWORD", "azure password"));
        var again = await Run(["copy", "--from", s3, "--to", azure, "--json"], ("LIFEBOAT_FROM_PASSWORD", "s3 password"), ("LIFEBOAT_PASSWORD", "azure password"));

        Copied(toS3).Should().Be(1, toS3.ToString());
        Copied(toAzure).Should().Be(1, toAzure.ToString());
        Copied(again).Should().Be(0, again.ToString());
        (await Run("check", "--read-data")).ExitCode.Should().Be(0);
        foreach (var (location, password) in new[] { (s3, "s3 password"), (azure, "azure password") })
        {
            var check = await Run(["-r", location, "check", "--read-data"], ("LIFEBOAT_PASSWORD", password));
            check.ExitCode.Should().Be(0, check.ToString());
        }

        var restore = await Run(["-r", azure, "restore", "latest", "--to", _db.Url("app_from_copy"), "--create", "--verify"], ("LIFEBOAT_PASSWORD", "azure password"));
        restore.ExitCode.Should().Be(0, restore.ToString());
        (await _db.ChecksumsAsync("app_from_copy")).Should().BeEquivalentTo(await _db.ChecksumsAsync("app"));
    }

    [Fact]
    public async Task A_permanent_storage_failure_exits_4_naming_the_bucket_and_the_repository_stays_usable()
    {
        var s3 = _emulators.S3Url();
        await InitAsync(s3, TestRepo.Password);
        var data = TestRepo.RandomBytes(3_000_000, 7);
        var first = await _repo.Cli.RunAsync(data, ["-r", s3, .. _emulators.StorageOptions, "backup", "--stdin", "--name", "data.bin"]);
        first.ExitCode.Should().Be(0, first.ToString());
        const string secret = "revoked-secret-key-0123456789";

        var revoked = await Run(["-r", s3, "backup", "--db", _db.Url("app")], ("AWS_ACCESS_KEY_ID", "REVOKED"), ("AWS_SECRET_ACCESS_KEY", secret));

        revoked.ExitCode.Should().Be(4, revoked.ToString());
        revoked.Stderr.Should().Contain("bucket 'lifeboat'").And.NotContain(secret);
        (await Run("-r", s3, "check", "--read-data")).ExitCode.Should().Be(0);
        (await Run("-r", s3, "dump", "latest", "data.bin")).Stdout.Should().Equal(data);
    }

    private async Task RoundTripAsync(string location, string database)
    {
        await InitAsync(location, TestRepo.Password);

        var backup = await Run("-r", location, "backup", "--db", _db.Url("app"), "--jobs", "2", "--connections", "4");
        var restore = await Run("-r", location, "restore", "latest", "--to", _db.Url(database), "--create", "--verify", "--json");
        var check = await Run("-r", location, "check", "--read-data");

        backup.ExitCode.Should().Be(0, backup.ToString());
        restore.ExitCode.Should().Be(0, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        json.RootElement.GetProperty("verification").GetProperty("ok").GetBoolean().Should().BeTrue();
        (await _db.ChecksumsAsync(database)).Should().BeEquivalentTo(await _db.ChecksumsAsync("app"));
        check.ExitCode.Should().Be(0, check.ToString());
    }

    private async Task InitAsync(string location, string password)
    {
        var init = await Run(["-r", location, "init", "--kdf-memory", "8"], ("LIFEBOAT_PASSWORD", password));
        init.ExitCode.Should().Be(0, init.ToString());
    }

    private Task<CliResult> Run(params string[] args) => Run(args, []);

    /// <summary>Runs with the emulators' storage settings and, for this run only, extra environment variables.</summary>
    private async Task<CliResult> Run(string[] args, params (string Name, string Value)[] environment)
    {
        var saved = environment.Select(e => (e.Name, Value: _repo.Cli.Environment.GetValueOrDefault(e.Name))).ToList();
        foreach (var (name, value) in environment)
        {
            _repo.Cli.Environment[name] = value;
        }

        try
        {
            return await _repo.Cli.RunAsync([.. _emulators.StorageOptions, .. args]);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                _repo.Cli.Environment[name] = value;
            }
        }
    }

    private static int Copied(CliResult result)
    {
        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.GetProperty("copied").GetInt32();
    }

    public void Dispose() => _repo.Dispose();
}
