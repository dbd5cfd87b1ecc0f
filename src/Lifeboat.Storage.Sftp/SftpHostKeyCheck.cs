using System.Globalization;

namespace Lifeboat.Storage.Sftp;

/// <summary>Decides whether to trust the host key a server presents, and explains a refusal.</summary>
internal static class SftpHostKeyCheck
{
    /// <summary>Null when the key is trusted, else a message saying why not and what to do.</summary>
    public static string? Check(SftpStorageOptions options, KnownHosts knownHosts, string keyType, byte[] key)
    {
        var fingerprint = KnownHosts.Fingerprint(key);
        var endpoint = $"{options.Host}:{options.Port.ToString(CultureInfo.InvariantCulture)}";
        if (options.HostKeyFingerprint is { Length: > 0 } expected)
        {
            return string.Equals(expected.Trim(), fingerprint, StringComparison.Ordinal)
                ? null
                : $"the SSH host key of {endpoint} ({keyType} {fingerprint}) is not the configured fingerprint {expected}: refusing to connect";
        }

        var hostName = options.Port == 22 ? options.Host : $"[{options.Host}]:{options.Port.ToString(CultureInfo.InvariantCulture)}";
        return knownHosts.Check(options.Host, options.Port, keyType, key) switch
        {
            KnownHosts.Verdict.Trusted => null,
            KnownHosts.Verdict.Revoked => $"the SSH host key of {endpoint} ({keyType} {fingerprint}) is marked @revoked in known_hosts: refusing to connect",
            KnownHosts.Verdict.Changed =>
                $"the SSH host key of {endpoint} CHANGED: the server presented {keyType} {fingerprint}, which differs from the key in known_hosts. " +
                "Someone may be intercepting the connection, or the server was reinstalled. If you know the new key is right, " +
                $"remove the old entry (ssh-keygen -R '{hostName}') and add the new one.",
            _ when options.AcceptUnknownHostKey => null,
            _ =>
                $"the SSH host key of {endpoint} is unknown: {keyType} {fingerprint}. Check this fingerprint with the server's administrator, " +
                $"then trust it by adding it to known_hosts (ssh-keyscan -p {options.Port.ToString(CultureInfo.InvariantCulture)} {options.Host} >> ~/.ssh/known_hosts, " +
                $"or connect once with ssh) or by setting the host key fingerprint option to {fingerprint}.",
        };
    }
}
