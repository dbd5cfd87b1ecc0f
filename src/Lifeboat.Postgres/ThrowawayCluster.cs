using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// A throw-away PostgreSQL cluster for tests and `lifeboat demo`: <c>initdb</c> in a temporary directory, a free
/// port on 127.0.0.1, fsync off, password (SCRAM) authentication over TCP, and always stopped
/// and deleted on <see cref="DisposeAsync"/> (and on process exit as a last resort).
/// </summary>
/// <remarks>
/// initdb and postgres refuse to run as root. When the tests run as root the server is run as
/// the unprivileged <c>postgres</c> system user (created by the Debian <c>postgresql</c> package)
/// through <c>runuser</c>. The binaries come from <c>LIFEBOAT_PG_BIN</c> or the newest
/// <c>/usr/lib/postgresql/*/bin</c>. Wrap it in an xunit class or collection fixture.
/// </remarks>
public sealed class ThrowawayCluster : IAsyncDisposable
{
    /// <summary>The superuser's name.</summary>
    public const string SuperUser = "postgres";

    private readonly string _dataDir;
    private readonly string? _runAs;
    private int _stopped;

    private readonly ThrowawayClusterOptions _options;

    private ThrowawayCluster(string rootDir, string binDir, int port, string superPassword, string? runAs, int majorVersion, ThrowawayClusterOptions options)
    {
        _options = options;
        RootDir = rootDir;
        _dataDir = Path.Combine(rootDir, "data");
        BinDir = binDir;
        Port = port;
        SuperPassword = superPassword;
        _runAs = runAs;
        MajorVersion = majorVersion;
    }

    /// <summary>The temporary directory holding data, socket and log.</summary>
    public string RootDir { get; }

    /// <summary>The directory of the server binaries (also pg_dump, psql, pgbench of that version).</summary>
    public string BinDir { get; }

    /// <summary>The server's major version.</summary>
    public int MajorVersion { get; }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The superuser's password.</summary>
    public string SuperPassword { get; }

    /// <summary>Finds the server binaries: LIFEBOAT_PG_BIN, else the newest /usr/lib/postgresql/*/bin.</summary>
    public static string? FindBinDir()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LIFEBOAT_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv))
            return File.Exists(Path.Combine(fromEnv, "initdb")) ? fromEnv : null;
        if (!Directory.Exists("/usr/lib/postgresql"))
            return null;
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => (Dir: Path.Combine(d, "bin"), Major: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0))
            .Where(x => File.Exists(Path.Combine(x.Dir, "initdb")))
            .OrderByDescending(x => x.Major)
            .Select(x => x.Dir)
            .FirstOrDefault();
    }

    /// <summary>Creates and starts a new cluster.</summary>
    public static Task<ThrowawayCluster> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(new ThrowawayClusterOptions(), cancellationToken);

    /// <summary>Creates and starts a new cluster with <paramref name="options"/>.</summary>
    public static async Task<ThrowawayCluster> StartAsync(ThrowawayClusterOptions options, CancellationToken cancellationToken = default)
    {
        var binDir = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb). Install them: apt-get install postgresql, or set LIFEBOAT_PG_BIN.");
        var major = int.Parse(Path.GetFileName(Path.GetDirectoryName(binDir)!), CultureInfo.InvariantCulture);
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var root = Path.Combine(Path.GetTempPath(), "lifeboat-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var cluster = new ThrowawayCluster(root, binDir, FreePort(), password, runAs, major, options);
        try
        {
            await cluster.InitAsync(cancellationToken);
            AppDomain.CurrentDomain.ProcessExit += cluster.OnProcessExit;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private string _serverOptions = string.Empty;

    private async Task InitAsync(CancellationToken cancellationToken)
    {
        var pwFile = Path.Combine(RootDir, "pwfile");
        await File.WriteAllTextAsync(pwFile, SuperPassword + "\n", cancellationToken);
        if (_runAs is not null)
            await RunAsync("chown", ["-R", _runAs, RootDir], asServerUser: false, cancellationToken);
        await RunAsync(Path.Combine(BinDir, "initdb"),
            ["-D", _dataDir, "-U", SuperUser, "--pwfile", pwFile, "--auth-local=trust", "--auth-host=scram-sha-256",
             "-E", "UTF8", "--locale=C.UTF-8", "-N"], asServerUser: true, cancellationToken);
        var options = string.Join(' ',
            $"-p {Port}", $"-k {RootDir}", "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c full_page_writes=off",
            "-c synchronous_commit=off", "-c max_connections=100", "-c shared_buffers=32MB", "-c max_wal_size=1GB");
        if (_options.LogicalReplication)
        {
            // the smallest logical_decoding_work_mem, so a test's "big" transaction is streamed while in progress
            options += " -c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10 -c logical_decoding_work_mem=64kB";
        }

        _serverOptions = options;
        await StartServerAsync(cancellationToken);
    }

    /// <summary>Starts the server again after <see cref="StopServerAsync"/> (same data, same port).</summary>
    public Task StartServerAsync(CancellationToken cancellationToken = default) =>
        RunAsync(Path.Combine(BinDir, "pg_ctl"),
            ["-D", _dataDir, "-l", Path.Combine(RootDir, "server.log"), "-w", "-t", "60", "-o", _serverOptions, "start"],
            asServerUser: true, cancellationToken);

    /// <summary>Stops the server (fast mode: sessions are ended), keeping its data: the database "goes down".</summary>
    public Task StopServerAsync(CancellationToken cancellationToken = default) =>
        RunAsync(Path.Combine(BinDir, "pg_ctl"), ["-D", _dataDir, "-m", "fast", "-w", "-t", "60", "stop"], asServerUser: true, cancellationToken);

    /// <summary>A key/value connection string for Npgsql.</summary>
    public string ConnectionString(string database = "postgres", string user = SuperUser, string? password = null)
        => new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = user,
            Password = password ?? (user == SuperUser ? SuperPassword : null),
            Pooling = false,
        }.ConnectionString;

    /// <summary>A postgres:// URL (user and password percent-encoded).</summary>
    public string Url(string database = "postgres", string user = SuperUser, string? password = null)
    {
        password ??= user == SuperUser ? SuperPassword : null;
        var userInfo = Uri.EscapeDataString(user) + (password is null ? "" : ":" + Uri.EscapeDataString(password));
        return $"postgresql://{userInfo}@{Host}:{Port}/{Uri.EscapeDataString(database)}";
    }

    /// <summary>Runs SQL (possibly several statements) as the superuser.</summary>
    public async Task ExecuteAsync(string sql, string database = "postgres", CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs a scalar query as the superuser.</summary>
    public async Task<T> ScalarAsync<T>(string sql, string database = "postgres", CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Creates a database, optionally owned by <paramref name="owner"/>.</summary>
    public Task CreateDatabaseAsync(string name, string? owner = null, CancellationToken cancellationToken = default)
        => ExecuteAsync($"CREATE DATABASE \"{name}\"" + (owner is null ? "" : $" OWNER \"{owner}\""), cancellationToken: cancellationToken);

    /// <summary>Creates a login role with a password.</summary>
    public Task CreateRoleAsync(string name, string password, string attributes = "", CancellationToken cancellationToken = default)
        => ExecuteAsync($"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}' {attributes}", cancellationToken: cancellationToken);

    /// <summary>Runs one of the cluster's client programs (psql, pgbench...) as the current user.</summary>
    public async Task<string> RunClientAsync(string program, IEnumerable<string> args, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(Path.Combine(BinDir, program))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["PGHOST"] = Host;
        psi.Environment["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["PGUSER"] = SuperUser;
        psi.Environment["PGPASSWORD"] = SuperPassword;
        return await RunProcessAsync(psi, stdin, cancellationToken);
    }

    private async Task RunAsync(string file, string[] args, bool asServerUser, CancellationToken cancellationToken)
    {
        ProcessStartInfo psi;
        if (asServerUser && _runAs is not null)
        {
            psi = new ProcessStartInfo("runuser");
            foreach (var a in new[] { "-u", _runAs, "--", file }.Concat(args))
                psi.ArgumentList.Add(a);
        }
        else
        {
            psi = new ProcessStartInfo(file);
            foreach (var a in args)
                psi.ArgumentList.Add(a);
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.WorkingDirectory = RootDir;
        await RunProcessAsync(psi, null, cancellationToken);
    }

    private static async Task<string> RunProcessAsync(ProcessStartInfo psi, string? stdin, CancellationToken cancellationToken)
    {
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout;
        var errors = await stderr;
        if (process.ExitCode != 0)
        {
            var command = new StringBuilder(psi.FileName);
            foreach (var a in psi.ArgumentList)
                command.Append(' ').Append(a);
            throw new InvalidOperationException($"`{command}` failed with exit code {process.ExitCode}: {errors}{output}");
        }
        return output;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnProcessExit(object? sender, EventArgs e) => StopAsync(CancellationToken.None).GetAwaiter().GetResult();

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        try
        {
            if (File.Exists(Path.Combine(_dataDir, "postmaster.pid")))
                await RunAsync(Path.Combine(BinDir, "pg_ctl"), ["-D", _dataDir, "-m", "immediate", "-w", "stop"], asServerUser: true, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        finally
        {
            try
            {
                Directory.Delete(RootDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Stops the server (immediate mode) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await StopAsync(CancellationToken.None);
    }
}

/// <summary>How a <see cref="ThrowawayCluster"/> is configured beyond its defaults.</summary>
public sealed record ThrowawayClusterOptions
{
    /// <summary>
    /// <c>wal_level = logical</c> with room for replication slots and WAL senders, and
    /// <c>logical_decoding_work_mem</c> at its minimum (64 kB), for change capture.
    /// </summary>
    public bool LogicalReplication { get; init; }
}
