using Lifeboat.Testing.Emulators;

namespace Lifeboat.Storage.Sftp.Tests;

/// <summary>One sshd for all SFTP tests of this assembly; each test uses its own directory.</summary>
public sealed class SshdFixture : IAsyncLifetime
{
    private SshdServer? _server;

    public SshdServer Server => _server ?? throw new InvalidOperationException("sshd is not started");

    public async Task InitializeAsync() => _server = await SshdServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Options for a fresh directory, with the fixture's client key and known_hosts.</summary>
    public SftpStorageOptions Options(string? directory = null) =>
        SftpRepositoryUrl.Parse(Server.RepositoryUrl(directory ?? $"t-{Guid.NewGuid():N}")) with
        {
            PrivateKeyFile = Server.ClientKeyPath,
            KnownHostsFile = Server.KnownHostsPath,
        };
}

[CollectionDefinition(Name)]
public sealed class SshdCollection : ICollectionFixture<SshdFixture>
{
    public const string Name = "sshd";
}
