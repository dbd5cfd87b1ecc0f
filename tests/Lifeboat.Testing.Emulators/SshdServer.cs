using System.Diagnostics;
using System.Globalization;

namespace Lifeboat.Testing.Emulators;

/// <summary>
/// A real OpenSSH <c>sshd</c> (Debian package openssh-server) on a free 127.0.0.1 port, with its
/// own config, a throwaway ed25519 host key and a throwaway client key in a temp directory;
/// only key authentication for the current user, SFTP via <c>internal-sftp</c>. Disposing it
/// kills sshd and removes the directory. The system's ssh service is never touched.
/// </summary>
public sealed class SshdServer : IAsyncDisposable
{
    private const string SshdPath = "/usr/sbin/sshd";

    private readonly ChildProcess _process;

    private SshdServer(ChildProcess process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
        UserName = Environment.UserName;
        ClientKeyPath = Path.Combine(directory, "client_key");
        OtherClientKeyPath = Path.Combine(directory, "other_client_key");
        KnownHostsPath = Path.Combine(directory, "known_hosts");
        HostPublicKey = File.ReadAllText(Path.Combine(directory, "host_key.pub")).Trim();
        DataDirectory = Path.Combine(directory, "data");
    }

    /// <summary>The port sshd listens on.</summary>
    public int Port { get; }

    /// <summary>The temp directory holding the config, keys and data.</summary>
    public string Directory { get; }

    /// <summary>The user to log in as (the user running the tests).</summary>
    public string UserName { get; }

    /// <summary>An unencrypted OpenSSH private key that sshd accepts.</summary>
    public string ClientKeyPath { get; }

    /// <summary>A private key that sshd does not accept.</summary>
    public string OtherClientKeyPath { get; }

    /// <summary>A known_hosts file with the server's host key for <c>[127.0.0.1]:PORT</c>.</summary>
    public string KnownHostsPath { get; }

    /// <summary>The host's public key line (<c>ssh-ed25519 AAAA...</c>).</summary>
    public string HostPublicKey { get; }

    /// <summary>An empty directory to store data in (absolute path, as seen over SFTP).</summary>
    public string DataDirectory { get; }

    /// <summary>A repository URL for the Lifeboat SFTP backend: <c>sftp:user@127.0.0.1:PORT/abs/path</c>.</summary>
    public string RepositoryUrl(string relativePath) =>
        $"sftp:{UserName}@127.0.0.1:{Port}{DataDirectory}/{relativePath}";

    /// <summary>Generates keys and config, starts sshd and waits until it accepts connections.</summary>
    public static async Task<SshdServer> StartAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(SshdPath))
        {
            throw new InvalidOperationException($"{SshdPath} is missing: run tests/emulators/install (apt-get install openssh-server)");
        }

        var directory = TestEnvironment.CreateTempDirectory("sshd");
        try
        {
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "data"));
            // sshd refuses to start without its privilege separation directory.
            System.IO.Directory.CreateDirectory("/run/sshd");
            await KeygenAsync(Path.Combine(directory, "host_key"), cancellationToken);
            await KeygenAsync(Path.Combine(directory, "client_key"), cancellationToken);
            await KeygenAsync(Path.Combine(directory, "other_client_key"), cancellationToken);
            File.Copy(Path.Combine(directory, "client_key.pub"), Path.Combine(directory, "authorized_keys"));

            var (process, port) = await TestEnvironment.StartOnFreePortAsync(
                port =>
                {
                    var config = Path.Combine(directory, "sshd_config");
                    File.WriteAllText(config, Config(directory, port));
                    return ChildProcess.Start(SshdPath, ["-D", "-e", "-f", config], directory);
                },
                TimeSpan.FromSeconds(20),
                cancellationToken);
            var hostKey = File.ReadAllText(Path.Combine(directory, "host_key.pub")).Trim();
            var keyTypeAndBlob = string.Join(' ', hostKey.Split(' ').Take(2));
            File.WriteAllText(Path.Combine(directory, "known_hosts"), $"[127.0.0.1]:{port} {keyTypeAndBlob}\n");
            return new SshdServer(process, port, directory);
        }
        catch
        {
            TestEnvironment.DeleteDirectoryQuietly(directory);
            throw;
        }
    }

    /// <summary>Stops sshd and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        TestEnvironment.DeleteDirectoryQuietly(Directory);
    }

    private static string Config(string directory, int port) => string.Join('\n',
    [
        $"Port {port.ToString(CultureInfo.InvariantCulture)}",
        "ListenAddress 127.0.0.1",
        $"HostKey {directory}/host_key",
        $"PidFile {directory}/sshd.pid",
        $"AuthorizedKeysFile {directory}/authorized_keys",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "StrictModes no",
        "MaxSessions 32",
        "MaxStartups 32:30:64",
        "LogLevel ERROR",
        "Subsystem sftp internal-sftp",
        "",
    ]);

    private static async Task KeygenAsync(string path, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ssh-keygen")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-q", "-t", "ed25519", "-N", "", "-C", "lifeboat-test", "-f", path })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ssh-keygen");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ssh-keygen failed for {path}: {await stderr}");
        }
    }
}
