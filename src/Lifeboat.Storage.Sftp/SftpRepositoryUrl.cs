using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Lifeboat.Storage.Sftp;

/// <summary>
/// Repository URLs of the SFTP backend:
/// <list type="bullet">
/// <item><c>sftp:user@host:port/abs/path</c> — a port, then an absolute path;</item>
/// <item><c>sftp:user@host:/abs/path</c> and <c>sftp:user@host:rel/path</c> — port 22 (scp-style),
/// the latter relative to the login directory;</item>
/// <item><c>sftp://user@host[:port]/abs/path</c>.</item>
/// </list>
/// IPv6 addresses go in brackets: <c>sftp:user@[::1]:2222/path</c>. Passwords are not accepted.
/// </summary>
public static partial class SftpRepositoryUrl
{
    /// <summary>The scheme the CLI dispatches on.</summary>
    public const string Scheme = "sftp";

    /// <summary>True when <paramref name="url"/> names the SFTP backend (starts with <c>sftp:</c>).</summary>
    public static bool IsMatch(string url) => url.StartsWith("sftp:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses an SFTP repository URL, or says what is wrong with it.</summary>
    public static bool TryParse(
        string url,
        [NotNullWhen(true)] out SftpStorageOptions? options,
        [NotNullWhen(false)] out string? error)
    {
        options = null;
        if (!IsMatch(url))
        {
            error = "an SFTP repository URL starts with 'sftp:' (sftp:user@host:port/path)";
            return false;
        }

        var rest = url["sftp:".Length..];
        var urlForm = rest.StartsWith("//", StringComparison.Ordinal);
        var match = (urlForm ? UrlForm() : ScpForm()).Match(urlForm ? rest[2..] : rest);
        if (!match.Success)
        {
            error = urlForm
                ? "expected sftp://user@host[:port]/path"
                : "expected sftp:user@host:port/path, sftp:user@host:/path or sftp:user@host:relative/path";
            return false;
        }

        if (match.Groups["password"].Success)
        {
            error = "passwords are not accepted in an SFTP URL: Lifeboat uses key authentication (LIFEBOAT_SFTP_KEY_FILE)";
            return false;
        }

        var port = 22;
        if (match.Groups["port"].Success &&
            (!int.TryParse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"'{match.Groups["port"].Value}' is not a valid port";
            return false;
        }

        var path = match.Groups["path"].Value;
        if (path.StartsWith("/~/", StringComparison.Ordinal))
        {
            path = path[3..]; // relative to the login directory, after a port
        }

        if (path.Length > 1)
        {
            path = path.TrimEnd('/');
        }

        if (path.Length == 0)
        {
            error = "the SFTP URL names no path: expected sftp:user@host:port/path";
            return false;
        }

        if (path.Split('/').Skip(1).Any(segment => segment is "" or "." or "..") || path.Split('/')[0] is "." or "..")
        {
            error = $"the path '{path}' has an empty, '.' or '..' segment";
            return false;
        }

        options = new SftpStorageOptions
        {
            User = Uri.UnescapeDataString(match.Groups["user"].Value),
            Host = match.Groups["host"].Value.Trim('[', ']'),
            Port = port,
            Path = path,
        };
        error = null;
        return true;
    }

    /// <summary>Parses an SFTP repository URL.</summary>
    /// <exception cref="FormatException">The URL is not a valid SFTP repository URL.</exception>
    public static SftpStorageOptions Parse(string url) =>
        TryParse(url, out var options, out var error) ? options : throw new FormatException(error);

    /// <summary>The URL form of a location, fit for messages.</summary>
    public static string Format(SftpStorageOptions options)
    {
        var host = options.Host.Contains(':', StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
        return options.Path.StartsWith('/')
            ? $"sftp:{options.User}@{host}:{options.Port.ToString(CultureInfo.InvariantCulture)}{options.Path}"
            : options.Port == 22
                ? $"sftp:{options.User}@{host}:{options.Path}"
                : $"sftp:{options.User}@{host}:{options.Port.ToString(CultureInfo.InvariantCulture)}/~/{options.Path}";
    }

    // user@host:port/path | user@host:/path | user@host:relative (a leading number followed by '/' is a port)
    [GeneratedRegex(@"^(?<user>[^@:/\s]+)(?::(?<password>[^@]*))?@(?<host>\[[0-9A-Fa-f:.]+\]|[^:/@\s\[\]]+):(?:(?<port>\d+)(?=/|$))?(?<path>.*)$")]
    private static partial Regex ScpForm();

    [GeneratedRegex(@"^(?<user>[^@:/\s]+)(?::(?<password>[^@]*))?@(?<host>\[[0-9A-Fa-f:.]+\]|[^:/@\s\[\]]+)(?::(?<port>\d+))?(?<path>/.*)$")]
    private static partial Regex UrlForm();
}
