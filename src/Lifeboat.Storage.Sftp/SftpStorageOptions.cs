namespace Lifeboat.Storage.Sftp;

/// <summary>
/// Where and how an <see cref="SftpStorage"/> stores objects: a directory on an SSH server,
/// reached with key authentication and a verified host key. Parse a repository URL with
/// <see cref="SftpRepositoryUrl.TryParse"/> and adjust the rest with <c>with</c> expressions.
/// </summary>
public sealed record SftpStorageOptions
{
    /// <summary>Environment variable naming the private key file.</summary>
    public const string KeyFileVariable = "LIFEBOAT_SFTP_KEY_FILE";

    /// <summary>Environment variable holding the private key's passphrase.</summary>
    public const string PassphraseVariable = "LIFEBOAT_SFTP_KEY_PASSPHRASE";

    /// <summary>Environment variable naming the known_hosts file.</summary>
    public const string KnownHostsVariable = "LIFEBOAT_SFTP_KNOWN_HOSTS";

    /// <summary>The server's host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>The server's port.</summary>
    public int Port { get; init; } = 22;

    /// <summary>The user to log in as.</summary>
    public required string User { get; init; }

    /// <summary>The repository directory: absolute, or relative to the user's login directory.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// The private key file (OpenSSH, PKCS#8 or PuTTY format). Null: LIFEBOAT_SFTP_KEY_FILE, else the
    /// first of <c>~/.ssh/id_ed25519</c>, <c>id_ecdsa</c>, <c>id_rsa</c> that exists.
    /// </summary>
    public string? PrivateKeyFile { get; init; }

    /// <summary>
    /// The key's passphrase; null reads LIFEBOAT_SFTP_KEY_PASSPHRASE. Never logged or shown.
    /// </summary>
    public string? Passphrase { get; init; }

    /// <summary>The known_hosts file; null means LIFEBOAT_SFTP_KNOWN_HOSTS, else <c>~/.ssh/known_hosts</c>.</summary>
    public string? KnownHostsFile { get; init; }

    /// <summary>
    /// Trust exactly this host key, given as its OpenSSH SHA-256 fingerprint
    /// (<c>SHA256:...</c>, as <c>ssh-keygen -lf</c> prints it), whether or not it is in known_hosts.
    /// </summary>
    public string? HostKeyFingerprint { get; init; }

    /// <summary>
    /// Accept any host key that known_hosts does not contradict. Unsafe (a man in the middle goes
    /// unnoticed); meant for throwaway test servers only.
    /// </summary>
    public bool AcceptUnknownHostKey { get; init; }

    /// <summary>How many SSH connections (one SFTP session each) may be open at once.</summary>
    public int MaxSessions { get; init; } = 4;

    /// <summary>Timeout of connecting and of each SFTP request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The location in URL form, fit for messages.</summary>
    public override string ToString() => SftpRepositoryUrl.Format(this);
}
