using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lifeboat.Storage.Sftp;

/// <summary>
/// Host key verification against an OpenSSH known_hosts file: plain and hashed (<c>|1|salt|hash</c>)
/// host patterns, <c>[host]:port</c> for ports other than 22, <c>*</c>/<c>?</c> wildcards, negated
/// patterns and <c>@revoked</c> markers (<c>@cert-authority</c> lines are ignored).
/// </summary>
internal sealed class KnownHosts
{
    private readonly List<Entry> _entries;

    private KnownHosts(List<Entry> entries)
    {
        _entries = entries;
    }

    /// <summary>The outcome of a check.</summary>
    public enum Verdict
    {
        /// <summary>known_hosts has this exact key for the host.</summary>
        Trusted,

        /// <summary>known_hosts has no key of this type for the host.</summary>
        Unknown,

        /// <summary>known_hosts has another key of this type for the host: possibly a man in the middle.</summary>
        Changed,

        /// <summary>The key is marked @revoked.</summary>
        Revoked,
    }

    /// <summary>Reads a known_hosts file; a missing file has no entries.</summary>
    public static async Task<KnownHosts> LoadAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) ? Parse(await File.ReadAllLinesAsync(path, cancellationToken)) : new KnownHosts([]);

    /// <summary>Parses known_hosts lines.</summary>
    public static KnownHosts Parse(IEnumerable<string> lines)
    {
        var entries = new List<Entry>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var revoked = false;
            if (fields[0].StartsWith('@'))
            {
                if (fields[0] != "@revoked")
                {
                    continue;
                }

                revoked = true;
                fields = fields[1..];
            }

            if (fields.Length < 3)
            {
                continue;
            }

            byte[] key;
            try
            {
                key = Convert.FromBase64String(fields[2]);
            }
            catch (FormatException)
            {
                continue;
            }

            entries.Add(new Entry(fields[0], fields[1], key, revoked));
        }

        return new KnownHosts(entries);
    }

    /// <summary>Checks the key a server presented.</summary>
    public Verdict Check(string host, int port, string keyType, byte[] key)
    {
        var name = port == 22 ? host : $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}";
        var verdict = Verdict.Unknown;
        foreach (var entry in _entries.Where(e => e.Matches(name)))
        {
            var sameKey = entry.Key.AsSpan().SequenceEqual(key);
            if (entry.Revoked)
            {
                if (sameKey)
                {
                    return Verdict.Revoked;
                }

                continue;
            }

            if (sameKey)
            {
                verdict = Verdict.Trusted;
            }
            else if (entry.KeyType == keyType && verdict == Verdict.Unknown)
            {
                verdict = Verdict.Changed;
            }
        }

        return verdict;
    }

    /// <summary>The OpenSSH SHA-256 fingerprint of a public key blob: <c>SHA256:</c> + unpadded base64.</summary>
    public static string Fingerprint(byte[] key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');

    private sealed record Entry(string Hosts, string KeyType, byte[] Key, bool Revoked)
    {
        public bool Matches(string name)
        {
            if (Hosts.StartsWith("|1|", StringComparison.Ordinal))
            {
                var parts = Hosts.Split('|');
                if (parts.Length != 4)
                {
                    return false;
                }

                try
                {
                    var hash = HMACSHA1.HashData(Convert.FromBase64String(parts[2]), Encoding.UTF8.GetBytes(name));
                    return CryptographicOperations.FixedTimeEquals(hash, Convert.FromBase64String(parts[3]));
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            var matched = false;
            foreach (var pattern in Hosts.Split(','))
            {
                if (pattern.StartsWith('!'))
                {
                    if (Glob(pattern[1..], name))
                    {
                        return false;
                    }
                }
                else if (Glob(pattern, name))
                {
                    matched = true;
                }
            }

            return matched;
        }

        private static bool Glob(string pattern, string name)
        {
            if (!pattern.Contains('*', StringComparison.Ordinal) && !pattern.Contains('?', StringComparison.Ordinal))
            {
                return string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase);
            }

            var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
            return System.Text.RegularExpressions.Regex.IsMatch(name, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        }
    }
}
