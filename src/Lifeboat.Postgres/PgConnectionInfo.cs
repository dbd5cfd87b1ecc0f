using System.Globalization;
using System.Text;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// Where and how to connect, parsed like libpq does: a <c>postgres://</c> / <c>postgresql://</c>
/// URL or a key/value string (<c>host=... dbname=...</c>), completed from the libpq environment
/// variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGPASSFILE, PGSSLMODE, ...) and
/// the password file (<c>~/.pgpass</c>). The password is never part of <see cref="ToString"/>
/// or <see cref="Redact"/>.
/// </summary>
public sealed class PgConnectionInfo
{
    private static readonly string[] KnownKeys =
    [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode", "sslrootcert", "sslcert",
        "sslkey", "connect_timeout", "application_name", "options", "target_session_attrs",
    ];

    private static readonly (string Key, string Env)[] EnvironmentKeys =
    [
        ("host", "PGHOST"), ("hostaddr", "PGHOSTADDR"), ("port", "PGPORT"), ("dbname", "PGDATABASE"), ("user", "PGUSER"),
        ("password", "PGPASSWORD"), ("passfile", "PGPASSFILE"), ("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY"), ("connect_timeout", "PGCONNECT_TIMEOUT"),
        ("application_name", "PGAPPNAME"), ("options", "PGOPTIONS"), ("target_session_attrs", "PGTARGETSESSIONATTRS"),
    ];

    private readonly Dictionary<string, string> _values;

    private PgConnectionInfo(Dictionary<string, string> values) => _values = values;

    /// <summary>Host name, IP address or Unix-socket directory.</summary>
    public string Host => _values["host"];

    /// <summary>TCP port (also names the Unix socket).</summary>
    public int Port => int.Parse(_values["port"], CultureInfo.InvariantCulture);

    /// <summary>The database name.</summary>
    public string Database => _values["dbname"];

    /// <summary>The role name.</summary>
    public string User => _values["user"];

    /// <summary>True when a password was found (connection string, PGPASSWORD or password file).</summary>
    public bool HasPassword => _values.ContainsKey("password");

    /// <summary>The libpq sslmode, when one was given.</summary>
    public string? SslMode => _values.GetValueOrDefault("sslmode");

    /// <summary>
    /// Parses <paramref name="connection"/> (URL, key/value string, or empty for "all from the
    /// environment"). <paramref name="environment"/> reads environment variables (default: the
    /// process's); <paramref name="homeDirectory"/> locates <c>.pgpass</c> (default: $HOME).
    /// </summary>
    public static PgConnectionInfo Parse(string? connection, Func<string, string?>? environment = null, string? homeDirectory = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = connection?.Trim() ?? "";
        if (text.StartsWith("postgres://", StringComparison.Ordinal) || text.StartsWith("postgresql://", StringComparison.Ordinal))
            ParseUrl(text, values);
        else if (text.Length > 0)
            ParseKeyValue(text, values);

        foreach (var (key, env) in EnvironmentKeys)
        {
            if (!values.ContainsKey(key) && environment(env) is { Length: > 0 } fromEnv)
                values[key] = fromEnv;
        }
        if (values.TryGetValue("hostaddr", out var hostaddr) && !values.ContainsKey("host"))
            values["host"] = hostaddr;
        if (!values.ContainsKey("host"))
            values["host"] = Directory.Exists("/var/run/postgresql") ? "/var/run/postgresql" : "localhost";
        if (!values.ContainsKey("port"))
            values["port"] = "5432";
        if (!int.TryParse(values["port"], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new ArgumentException($"Invalid port \"{values["port"]}\" in the connection string: it must be a number.");
        if (!values.ContainsKey("user"))
            values["user"] = environment("USER") is { Length: > 0 } u ? u : Environment.UserName;
        if (!values.ContainsKey("dbname"))
            values["dbname"] = values["user"];
        if (!values.ContainsKey("password"))
        {
            var passFile = values.GetValueOrDefault("passfile")
                ?? Path.Combine(homeDirectory ?? environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgpass");
            if (PgPassFile.Lookup(passFile, values["host"], values["port"], values["dbname"], values["user"]) is { } fromFile)
                values["password"] = fromFile;
        }
        return new PgConnectionInfo(values);
    }

    /// <summary>The same connection to another database on the same server.</summary>
    public PgConnectionInfo WithDatabase(string database)
    {
        var copy = new Dictionary<string, string>(_values, StringComparer.Ordinal) { ["dbname"] = database };
        return new PgConnectionInfo(copy);
    }

    /// <summary>For messages and logs: <c>postgres://user:***@host:port/db</c> (never the password).</summary>
    public string Redact()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) && !Host.StartsWith('/') ? $"[{Host}]" : Host;
        var password = HasPassword ? ":***" : "";
        return $"postgres://{Uri.EscapeDataString(User)}{password}@{host}:{Port}/{Uri.EscapeDataString(Database)}";
    }

    /// <summary>Same as <see cref="Redact"/>.</summary>
    public override string ToString() => Redact();

    /// <summary>An Npgsql connection string builder for this connection (with the password, if any).</summary>
    public NpgsqlConnectionStringBuilder ToConnectionStringBuilder()
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            ApplicationName = _values.GetValueOrDefault("application_name") ?? "lifeboat",
            Pooling = false,
            CommandTimeout = 0,
            // COPY moves megabytes: larger socket buffers than Npgsql's 8 KiB default mean far fewer reads and writes.
            ReadBufferSize = 256 * 1024,
            WriteBufferSize = 256 * 1024,
        };
        if (_values.TryGetValue("password", out var password))
            b.Password = password;
        if (_values.TryGetValue("sslmode", out var sslMode))
            b.SslMode = sslMode switch
            {
                "disable" => Npgsql.SslMode.Disable,
                "allow" => Npgsql.SslMode.Allow,
                "prefer" => Npgsql.SslMode.Prefer,
                "require" => Npgsql.SslMode.Require,
                "verify-ca" => Npgsql.SslMode.VerifyCA,
                "verify-full" => Npgsql.SslMode.VerifyFull,
                _ => throw new ArgumentException($"Unknown sslmode \"{sslMode}\": use disable, allow, prefer, require, verify-ca or verify-full."),
            };
        if (_values.TryGetValue("sslrootcert", out var rootCert))
            b.RootCertificate = rootCert;
        if (_values.TryGetValue("sslcert", out var cert))
            b.SslCertificate = cert;
        if (_values.TryGetValue("sslkey", out var key))
            b.SslKey = key;
        if (_values.TryGetValue("connect_timeout", out var timeout) && int.TryParse(timeout, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            b.Timeout = Math.Min(seconds, 1024);
        if (_values.TryGetValue("options", out var options))
            b.Options = options;
        return b;
    }

    /// <summary>
    /// The environment for a libpq child process (pg_dump, pg_restore, psql): every setting as a
    /// PG* variable, the password as PGPASSWORD — so nothing secret appears on its command line.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToChildEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, name) in EnvironmentKeys)
        {
            if (_values.TryGetValue(key, out var value))
                env[name] = value;
        }
        if (!env.ContainsKey("PGAPPNAME"))
            env["PGAPPNAME"] = "lifeboat";
        return env;
    }

    private static void ParseUrl(string url, Dictionary<string, string> values)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = "";
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        if (slash >= 0 && rest.Length > slash + 1)
            values["dbname"] = Uri.UnescapeDataString(rest[(slash + 1)..]);
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = colon >= 0 ? userInfo[..colon] : userInfo;
            if (user.Length > 0)
                values["user"] = Uri.UnescapeDataString(user);
            if (colon >= 0)
                values["password"] = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                throw new ArgumentException("Invalid connection URL: unterminated [IPv6] host.");
            values["host"] = authority[1..close];
            if (authority.Length > close + 2 && authority[close + 1] == ':')
                values["port"] = authority[(close + 2)..];
        }
        else if (authority.Length > 0)
        {
            var colon = authority.LastIndexOf(':');
            if (colon >= 0)
            {
                if (colon > 0)
                    values["host"] = Uri.UnescapeDataString(authority[..colon]);
                values["port"] = authority[(colon + 1)..];
            }
            else
            {
                values["host"] = Uri.UnescapeDataString(authority);
            }
        }
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new ArgumentException($"Invalid connection URL parameter \"{pair.Split('=')[0]}\": expected key=value.");
            AddKnown(values, Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..]));
        }
    }

    private static void ParseKeyValue(string text, Dictionary<string, string> values)
    {
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            if (i >= text.Length)
                break;
            var keyStart = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i]))
                i++;
            var key = text[keyStart..i];
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            if (i >= text.Length || text[i] != '=')
                throw new ArgumentException($"Invalid connection string: \"{key}\" is not followed by \"=\". Use a postgres:// URL or key=value pairs.");
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '\'')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        throw new ArgumentException($"Invalid connection string: unterminated quoted value for \"{key}\".");
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        value.Append(text[i + 1]);
                        i += 2;
                    }
                    else if (text[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        value.Append(text[i++]);
                    }
                }
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                        i++;
                    value.Append(text[i++]);
                }
            }
            AddKnown(values, key, value.ToString());
        }
    }

    private static void AddKnown(Dictionary<string, string> values, string key, string value)
    {
        key = key switch
        {
            "database" => "dbname",
            "username" => "user",
            _ => key,
        };
        if (!KnownKeys.Contains(key))
            throw new ArgumentException($"Unsupported connection parameter \"{key}\". Supported: {string.Join(", ", KnownKeys)}.");
        values[key] = value;
    }
}
