using Lifeboat.Testing.Emulators;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// An s3rver, an azurite (with container <c>lifeboat</c>) and an OpenSSH sshd for a test class, and
/// how the CLI reaches them.
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public const string Container = "lifeboat";

    private S3rverEmulator? _s3;
    private AzuriteEmulator? _azure;
    private SshdServer? _sshd;

    public S3rverEmulator S3 => _s3 ?? throw new InvalidOperationException("s3rver is not started");

    public AzuriteEmulator Azure => _azure ?? throw new InvalidOperationException("azurite is not started");

    public SshdServer Sshd => _sshd ?? throw new InvalidOperationException("sshd is not started");

    public async Task InitializeAsync()
    {
        var s3 = S3rverEmulator.StartAsync();
        var azure = AzuriteEmulator.StartAsync();
        var sshd = SshdServer.StartAsync();
        _s3 = await s3;
        _azure = await azure;
        _sshd = await sshd;
        await _azure.CreateContainerAsync(Container);
    }

    /// <summary>A fresh S3 repository URL (a new prefix in the default bucket).</summary>
    public string S3Url() => S3.RepositoryUrl("repo-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A fresh Azure repository URL (a new prefix in the container).</summary>
    public static string AzureUrl() => $"azure:{Container}/repo-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A fresh SFTP repository URL (a new directory on the sshd), and where that directory is on this machine.</summary>
    public (string Url, string Directory) SftpRepository()
    {
        var name = "repo-" + Guid.NewGuid().ToString("N")[..8];
        return (Sshd.RepositoryUrl(name), Path.Combine(Sshd.DataDirectory, name));
    }

    /// <summary>Credentials in the environment, as users are told to pass them; s3rver needs checksums only when required.</summary>
    public void Configure(CliRunner cli)
    {
        cli.Environment["AWS_ACCESS_KEY_ID"] = S3rverEmulator.AccessKey;
        cli.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverEmulator.SecretKey;
        cli.Environment["AWS_REGION"] = "us-east-1";
        cli.Environment["AZURE_STORAGE_CONNECTION_STRING"] = Azure.ConnectionString;
    }

    /// <summary>
    /// The -o settings the emulators need, each applying only to its backend: s3rver's checksum mode,
    /// and the sshd's client key and known_hosts file.
    /// </summary>
    public string[] StorageOptions =>
        ["-o", "s3.checksum=when_required", "-o", $"sftp.key={Sshd.ClientKeyPath}", "-o", $"sftp.known-hosts={Sshd.KnownHostsPath}"];

    public async Task DisposeAsync()
    {
        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }

        if (_azure is not null)
        {
            await _azure.DisposeAsync();
        }

        if (_sshd is not null)
        {
            await _sshd.DisposeAsync();
        }
    }
}
