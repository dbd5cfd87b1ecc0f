using Azure.Storage.Blobs;

namespace Lifeboat.Testing.Emulators;

/// <summary>
/// An azurite blob emulator (npm <c>azurite@3.35.0</c>; newer versions need node >= 21) on a free
/// 127.0.0.1 port with its data in a temp directory; disposing it kills the process and removes
/// the directory. It serves the well-known development account <see cref="AccountName"/>.
/// </summary>
public sealed class AzuriteEmulator : IAsyncDisposable
{
    /// <summary>The development storage account azurite serves.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The published key of the development account (a well-known test value, not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly ChildProcess _process;
    private readonly string _directory;

    private AzuriteEmulator(ChildProcess process, int port, string directory)
    {
        _process = process;
        _directory = directory;
        Port = port;
        BlobEndpoint = new Uri($"http://127.0.0.1:{port}/{AccountName}");
    }

    /// <summary>The port azurite listens on.</summary>
    public int Port { get; }

    /// <summary>The blob service endpoint, <c>http://127.0.0.1:PORT/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint { get; }

    /// <summary>A connection string for the development account (as AZURE_STORAGE_CONNECTION_STRING).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>Starts azurite-blob and waits until it accepts connections.</summary>
    public static async Task<AzuriteEmulator> StartAsync(CancellationToken cancellationToken = default)
    {
        var binary = TestEnvironment.NpmBinary("azurite-blob");
        var directory = TestEnvironment.CreateTempDirectory("azurite");
        try
        {
            var (process, port) = await TestEnvironment.StartOnFreePortAsync(
                port => ChildProcess.Start(
                    binary,
                    ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--location", directory, "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
                    directory),
                TimeSpan.FromSeconds(30),
                cancellationToken);
            return new AzuriteEmulator(process, port, directory);
        }
        catch
        {
            TestEnvironment.DeleteDirectoryQuietly(directory);
            throw;
        }
    }

    /// <summary>Creates a container (if it does not exist yet).</summary>
    public async Task CreateContainerAsync(string container, CancellationToken cancellationToken = default)
    {
        var client = new BlobContainerClient(ConnectionString, container);
        await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Stops azurite and removes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        TestEnvironment.DeleteDirectoryQuietly(_directory);
    }
}
