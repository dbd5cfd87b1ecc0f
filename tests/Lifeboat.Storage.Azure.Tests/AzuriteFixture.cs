using Lifeboat.Testing.Emulators;

namespace Lifeboat.Storage.Azure.Tests;

/// <summary>One azurite for all Azure tests of this assembly; each test uses its own blob prefix.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string Container = "lifeboat";

    private AzuriteEmulator? _emulator;

    public AzuriteEmulator Emulator => _emulator ?? throw new InvalidOperationException("azurite is not started");

    public async Task InitializeAsync()
    {
        _emulator = await AzuriteEmulator.StartAsync();
        await _emulator.CreateContainerAsync(Container);
    }

    public async Task DisposeAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }

    /// <summary>Options for a fresh prefix in <see cref="Container"/>, with the emulator's connection string.</summary>
    public AzureBlobStorageOptions Options(string? prefix = null) =>
        AzureRepositoryUrl.Parse($"azure:{Container}/{prefix ?? $"t-{Guid.NewGuid():N}"}") with
        {
            Credentials = AzureCredentials.FromConnectionString(Emulator.ConnectionString),
            SdkMaxRetries = 0,
        };
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
