using Lifeboat.Testing.Emulators;

namespace Lifeboat.Cli.Tests;

/// <summary>An s3rver and an azurite (with container <c>lifeboat</c>) for a test class, and how the CLI reaches them.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public const string Container = "lifeboat";

    private S3rverEmulator? _s3;
    private AzuriteEmulator? _azure;

    public S3rverEmulator S3 => _s3 ?? throw new InvalidOperationException("s3rver is not started");

    public AzuriteEmulator Azure => _azure ?? throw new InvalidOperationException("azurite is not started");

    public async Task InitializeAsync()
    {
        var s3 = S3rverEmulator.StartAsync();
        var azure = AzuriteEmulator.StartAsync();
        _s3 = await s3;
        _azure = await azure;
        await _azure.CreateContainerAsync(Container);
    }

    /// <summary>A fresh S3 repository URL (a new prefix in the default bucket).</summary>
    public string S3Url() => S3.RepositoryUrl("repo-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A fresh Azure repository URL (a new prefix in the container).</summary>
    public static string AzureUrl() => $"azure:{Container}/repo-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Credentials in the environment, as users are told to pass them; s3rver needs checksums only when required.</summary>
    public void Configure(CliRunner cli)
    {
        cli.Environment["AWS_ACCESS_KEY_ID"] = S3rverEmulator.AccessKey;
        cli.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverEmulator.SecretKey;
        cli.Environment["AWS_REGION"] = "us-east-1";
        cli.Environment["AZURE_STORAGE_CONNECTION_STRING"] = Azure.ConnectionString;
    }

    /// <summary>The -o settings s3rver needs (ignored by the other backends).</summary>
    public static readonly string[] S3Options = ["-o", "s3.checksum=when_required"];

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
    }
}
