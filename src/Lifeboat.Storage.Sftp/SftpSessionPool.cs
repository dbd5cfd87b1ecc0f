using System.Collections.Concurrent;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Lifeboat.Storage.Sftp;

/// <summary>
/// A bounded pool of connected SFTP clients (one SSH connection each, at most
/// <see cref="SftpStorageOptions.MaxSessions"/>). A client whose connection broke, or whose
/// request was cancelled midway, is thrown away rather than reused.
/// </summary>
internal sealed class SftpSessionPool : IAsyncDisposable
{
    private readonly SftpStorageOptions _options;
    private readonly string _location;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<SftpClient> _idle = [];
    private readonly SemaphoreSlim _setupLock = new(1, 1);
    private KnownHosts? _knownHosts;
    private PrivateKeyFile? _key;
    private string? _keyPath;
    private bool _disposed;

    public SftpSessionPool(SftpStorageOptions options, string location)
    {
        _options = options;
        _location = location;
        _slots = new SemaphoreSlim(options.MaxSessions, options.MaxSessions);
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled client.</summary>
    public async Task<T> RunAsync<T>(Func<SftpClient, Task<T>> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken);
        SftpClient? client = null;
        var reusable = false;
        try
        {
            client = await RentAsync(cancellationToken);
            var result = await operation(client);
            reusable = true;
            return result;
        }
        catch (Exception ex) when (ex is SftpPathNotFoundException or SftpPermissionDeniedException or SftpException or StorageException)
        {
            // A request the server answered with an error leaves the session healthy.
            reusable = true;
            throw;
        }
        finally
        {
            if (client is not null)
            {
                if (reusable && client.IsConnected && !_disposed)
                {
                    _idle.Add(client);
                }
                else
                {
                    await DisposeClientAsync(client);
                }
            }

            _slots.Release();
        }
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled client.</summary>
    public Task RunAsync(Func<SftpClient, Task> operation, CancellationToken cancellationToken) =>
        RunAsync<bool>(
            async client =>
            {
                await operation(client);
                return true;
            },
            cancellationToken);

    /// <summary>Disconnects every idle client.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out var client))
        {
            await DisposeClientAsync(client);
        }

        _setupLock.Dispose();
    }

    private async Task<SftpClient> RentAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryTake(out var idle))
        {
            if (idle.IsConnected)
            {
                return idle;
            }

            await DisposeClientAsync(idle);
        }

        await EnsureSetupAsync(cancellationToken);
        var connection = new ConnectionInfo(
            _options.Host, _options.Port, _options.User, new PrivateKeyAuthenticationMethod(_options.User, _key!))
        {
            Timeout = _options.Timeout,
        };
        var client = new SftpClient(connection) { OperationTimeout = _options.Timeout };
        string? hostKeyProblem = null;
        client.HostKeyReceived += (_, e) =>
        {
            hostKeyProblem = SftpHostKeyCheck.Check(_options, _knownHosts!, e.HostKeyName, e.HostKey);
            e.CanTrust = hostKeyProblem is null;
        };
        try
        {
            await client.ConnectAsync(cancellationToken);
            return client;
        }
        catch (Exception ex)
        {
            await DisposeClientAsync(client);
            if (hostKeyProblem is not null)
            {
                throw new StorageException(StorageErrorKind.Permanent, hostKeyProblem, ex);
            }

            if (ex is SshAuthenticationException)
            {
                throw new StorageException(
                    StorageErrorKind.Permanent,
                    $"SSH authentication as '{_options.User}' on {_options.Host}:{_options.Port} failed with the key {_keyPath} ({ex.Message}): is its public key in the server's authorized_keys?",
                    ex);
            }

            throw;
        }
    }

    private async Task EnsureSetupAsync(CancellationToken cancellationToken)
    {
        if (_key is not null && _knownHosts is not null)
        {
            return;
        }

        await _setupLock.WaitAsync(cancellationToken);
        try
        {
            if (_knownHosts is null)
            {
                var knownHostsPath = _options.KnownHostsFile
                    ?? NonEmpty(Environment.GetEnvironmentVariable(SftpStorageOptions.KnownHostsVariable))
                    ?? Path.Combine(Home(), ".ssh", "known_hosts");
                _knownHosts = await KnownHosts.LoadAsync(knownHostsPath, cancellationToken);
            }

            if (_key is null)
            {
                (_key, _keyPath) = await LoadKeyAsync(cancellationToken);
            }
        }
        finally
        {
            _setupLock.Release();
        }
    }

    private async Task<(PrivateKeyFile Key, string Path)> LoadKeyAsync(CancellationToken cancellationToken)
    {
        var path = _options.PrivateKeyFile ?? NonEmpty(Environment.GetEnvironmentVariable(SftpStorageOptions.KeyFileVariable));
        if (path is null)
        {
            path = new[] { "id_ed25519", "id_ecdsa", "id_rsa" }
                .Select(name => Path.Combine(Home(), ".ssh", name))
                .FirstOrDefault(File.Exists);
        }

        if (path is null || !File.Exists(path))
        {
            throw new StorageException(
                StorageErrorKind.Permanent,
                path is null
                    ? $"no SSH private key for {_location}: set {SftpStorageOptions.KeyFileVariable} (or create ~/.ssh/id_ed25519)"
                    : $"the SSH private key file '{path}' for {_location} does not exist");
        }

        var passphrase = _options.Passphrase ?? NonEmpty(Environment.GetEnvironmentVariable(SftpStorageOptions.PassphraseVariable));
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return (passphrase is null ? new PrivateKeyFile(stream) : new PrivateKeyFile(stream, passphrase), path);
        }
        catch (Exception ex) when (ex is SshException or InvalidOperationException or ArgumentException or FormatException or NotSupportedException)
        {
            var hint = ex is SshPassPhraseNullOrEmptyException || passphrase is null
                ? $"it may need a passphrase: set {SftpStorageOptions.PassphraseVariable}"
                : $"wrong passphrase in {SftpStorageOptions.PassphraseVariable}, or an unsupported key format";
            throw new StorageException(StorageErrorKind.Permanent, $"cannot load the SSH private key '{path}' ({ex.GetType().Name}): {hint}");
        }
    }

    /// <summary>
    /// SSH.NET has no asynchronous disconnect: Dispose sends the disconnect message and closes the
    /// socket synchronously, so it runs on the thread pool rather than blocking the caller.
    /// </summary>
    private static Task DisposeClientAsync(SftpClient client) => Task.Run(client.Dispose);

    private static string Home() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
