using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Lifeboat.Agent.Host;
using Lifeboat.Agent.Tests.Notifications;
using Lifeboat.Testing.Emulators;
using Npgsql;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// <c>lifeboat serve</c> end to end, as a user runs it: the real binary on a plan file, a throwaway PostgreSQL that goes
/// down and comes back, maildev and a webhook receiver for the alerts, a real Prometheus scraping it.
/// </summary>
public sealed class ServeCommandTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private const string RepositoryPassword = "agent repo password";
    private readonly DatabaseFixture _db;
    private readonly string _dir = Directory.CreateTempSubdirectory("lifeboat-serve-").FullName;
    private readonly CliRunner _cli = new();

    public ServeCommandTests(DatabaseFixture db)
    {
        _db = db;
        _db.UsePassword(_cli);
        _cli.Environment["LIFEBOAT_CONFIG"] = null;
        _cli.Environment["XDG_STATE_HOME"] = Path.Combine(_dir, "state");
        File.WriteAllText(PasswordFile, RepositoryPassword + "\n");
    }

    private string Repository => Path.Combine(_dir, "repo");

    private string PasswordFile => Path.Combine(_dir, "repo.pass");

    private string Config => Path.Combine(_dir, "lifeboat.yaml");

    private string Journal => Path.Combine(_dir, "journal.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_backs_up_on_schedule_alerts_once_when_the_database_goes_down_and_once_when_it_is_back()
    {
        await InitAsync();
        await using var mail = await MaildevServer.StartAsync();
        await using var hook = LoopbackReceiver.Start();
        WritePlanFile("*/4 * * * * *", maxAge: "14s", string.Join('\n',
            $"  mail: {{ type: email, smtp: \"127.0.0.1:{mail.SmtpPort}\", tls: none, from: lifeboat@example.com, to: [ops@example.com] }}",
            $"  hook: {{ type: webhook, url: \"{hook.Url("/lifeboat")}\" }}"), notify: "[mail, hook]");
        await using var agent = await AgentProcess.StartAsync(_cli, Config);

        await agent.WaitUntilAsync(async () => (await SnapshotsAsync()).Count >= 1, "a scheduled backup made a snapshot");
        await using (var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{agent.Port}"))
        {
            await prometheus.WaitUntilScrapedAsync(TimeSpan.FromSeconds(30));
            (await prometheus.QueryAsync("lifeboat_runs_total{plan=\"app\",kind=\"backup\",status=\"success\"}")).Should().BeGreaterThanOrEqualTo(1);
            (await prometheus.QueryAsync("lifeboat_next_run_timestamp_seconds{plan=\"app\",kind=\"backup\"}")).Should().BeGreaterThan(0);
        }

        await PromtoolAcceptsAsync(await agent.Http.GetStringAsync("/metrics"));
        (await agent.Http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
        var plans = await _cli.RunAsync("plans", "--config", Config);
        plans.Out.Should().Contain("served by the agent").And.Contain("backup  [*/4 * * * * *]: last succeeded");

        await _db.Cluster.StopServerAsync();
        await agent.WaitUntilAsync(() => Alerts(hook).Contains(("firing", "backup_failed")), "the failure reached the webhook");
        var failure = (await mail.WaitForEmailsAsync(1, TimeSpan.FromSeconds(30))).Single();
        failure.Subject.Should().Be("[lifeboat] app: backup failed");
        failure.Text.Should().Contain("127.0.0.1").And.NotContain(_db.Cluster.SuperPassword);
        await agent.WaitUntilAsync(async () => (await HealthAsync(agent)).Body.Contains("app: overdue", StringComparison.Ordinal), "healthz said overdue");
        var unhealthy = await HealthAsync(agent);
        unhealthy.Status.Should().Be(HttpStatusCode.ServiceUnavailable);
        unhealthy.Body.Should().Contain("app: backup failed: Cannot connect to").And.NotContain(_db.Cluster.SuperPassword);
        await agent.WaitUntilAsync(async () => await MetricAsync(agent, "lifeboat_runs_total{plan=\"app\",source=\"app\",repository=\"main\",kind=\"backup\",status=\"failure\"}") >= 3, "three backups failed");
        Alerts(hook).Count(a => a == ("firing", "backup_failed")).Should().Be(1, "a failure that goes on is one alert, not one per run");

        await _db.Cluster.StartServerAsync();
        await agent.WaitUntilAsync(() => Alerts(hook).Contains(("recovered", "backup_failed")), "the recovery reached the webhook");
        await agent.WaitUntilAsync(async () => (await agent.Http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK, "healthz back to 200");
        var emails = await mail.EmailsAsync();
        emails.Select(e => e.Subject).Should().ContainSingle(s => s == "[lifeboat] app: backup failed");
        emails.Select(e => e.Subject).Should().ContainSingle(s => s.StartsWith("[lifeboat] app: recovered from backup failed after", StringComparison.Ordinal));
        Alerts(hook).Count(a => a == ("recovered", "backup_failed")).Should().Be(1);

        var run = await _cli.RunAsync("run", "app", "--config", Config, "--tag", "pre-deploy", "--wait");
        run.ExitCode.Should().Be(0, run.ToString());
        run.Stderr.Should().Contain("asking the agent serving");
        run.Out.Should().Contain("app: backup succeeded");
        (await SnapshotsAsync()).Should().Contain(s => s.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "pre-deploy"));

        agent.Signal(15);
        (await agent.ExitAsync()).Should().Be(0, agent.Log);
        agent.Log.Should().Contain("stopped");
        agent.Log.Should().NotContain(RepositoryPassword).And.NotContain(_db.Cluster.SuperPassword);
        var check = await _cli.RunAsync("check", "--repo", Repository, "--password-file", PasswordFile);
        check.ExitCode.Should().Be(0, check.ToString());
        File.Exists(Journal + ".agent.json").Should().BeFalse("the state file goes with the agent");
    }

    [Fact]
    public async Task Killing_the_agent_during_a_backup_leaves_a_failed_run_and_a_clean_repository_and_the_slot_runs_once_on_restart()
    {
        await InitAsync();
        WritePlanFile("*/8 * * * * *");
        var first = await AgentProcess.StartAsync(_cli, Config);
        await first.WaitUntilAsync(async () => (await SnapshotsAsync()).Count >= 1, "a first backup");

        // hold a lock the next backup's COPY waits for, so it is running when the agent is killed
        await using var blocker = new NpgsqlConnection(_db.Cluster.ConnectionString("app", password: _db.Cluster.SuperPassword));
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE public.profiles IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        var before = first.Lines.Count(l => l.Contains("app/backup: started", StringComparison.Ordinal));
        await first.WaitUntilAsync(() => first.Lines.Count(l => l.Contains("app/backup: started", StringComparison.Ordinal)) > before, "the next backup started");
        await Task.Delay(1000);
        first.Signal(9);
        await first.ExitAsync();
        await first.DisposeAsync();
        await transaction.RollbackAsync();
        var snapshotsBefore = (await SnapshotsAsync()).Count;

        await using var second = await AgentProcess.StartAsync(_cli, Config);
        await second.WaitUntilAsync(async () => (await SnapshotsAsync()).Count > snapshotsBefore, "the missed slot ran after the restart");
        second.Log.Should().Contain("was interrupted (the agent stopped during it): journaled as failed");
        second.Lines.Count(l => l.Contains("was missed: running once now", StringComparison.Ordinal)).Should().Be(1, second.Log);
        var plans = await AgentProcess.JsonAsync(_cli, "plans", "--config", Config);
        plans.GetProperty("serving").GetBoolean().Should().BeTrue();
        second.Signal(15);
        (await second.ExitAsync()).Should().Be(0, second.Log);

        var check = await _cli.RunAsync("check", "--read-data", "--repo", Repository, "--password-file", PasswordFile);
        check.ExitCode.Should().Be(0, check.ToString());
        await using var journal = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Journal};Mode=ReadOnly");
        await journal.OpenAsync();
        await using var runs = journal.CreateCommand();
        runs.CommandText = "SELECT count(*) FROM runs WHERE kind = 'backup' AND result = 'failed' AND error LIKE 'interrupted%'";
        ((long)(await runs.ExecuteScalarAsync())!).Should().Be(1);
        runs.CommandText = "SELECT count(*) FROM runs WHERE result = 'running'";
        ((long)(await runs.ExecuteScalarAsync())!).Should().Be(0, "no run stays 'running' forever");
    }

    [Fact]
    public async Task Run_without_an_agent_backs_up_in_the_foreground_with_its_tag_and_hold_and_plans_shows_it_from_the_journal()
    {
        await InitAsync();
        WritePlanFile("0 3 * * *");

        var run = await _cli.RunAsync("run", "app", "--config", Config, "--tag", "pre-migration", "--hold-until", "7d", "--reason", "schema change");
        run.ExitCode.Should().Be(0, run.ToString());
        run.Stderr.Should().Contain("no agent serves").And.Contain("in the foreground");
        run.Out.Should().Contain("app: backup succeeded");
        (await SnapshotsAsync()).Single().GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Contain("pre-migration");
        var holds = await AgentProcess.JsonAsync(_cli, "holds", "--repo", Repository, "--password-file", PasswordFile);
        holds.EnumerateArray().Should().ContainSingle(h => h.GetProperty("reason").GetString() == "schema change");

        var plans = await _cli.RunAsync("plans", "--config", Config);
        plans.ExitCode.Should().Be(0, plans.ToString());
        plans.Out.Should().Contain("no agent serves it").And.Contain("backup  [0 3 * * *]: last succeeded").And.Contain(", next ");
        var json = await AgentProcess.JsonAsync(_cli, "plans", "--config", Config);
        json.GetProperty("plans")[0].GetProperty("jobs")[0].GetProperty("lastRun").GetProperty("result").GetString().Should().Be("succeeded");
    }

    [Fact]
    public async Task Bad_input_to_serve_and_run_is_a_clear_error_with_its_own_exit_code()
    {
        await InitAsync();
        WritePlanFile("0 3 * * *");
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var inUse = await _cli.RunAsync("serve", "--config", Config, "--listen", $"127.0.0.1:{port}");
        inUse.ExitCode.Should().Be(ExitCodes.ListenFailed, inUse.ToString());
        inUse.Stderr.Should().Contain($"cannot listen on 127.0.0.1:{port}: the address is in use");
        File.Exists(Journal + ".agent.json").Should().BeFalse();

        var grace = await _cli.RunAsync("serve", "--config", Config, "--stop-grace", "10m");
        grace.ExitCode.Should().Be(ExitCodes.Usage, grace.ToString());
        grace.Stderr.Should().Contain("--stop-grace '10m' is not a duration from 0s to 2m");

        var unknown = await _cli.RunAsync("run", "nightly", "--config", Config);
        unknown.ExitCode.Should().Be(ExitCodes.Usage, unknown.ToString());
        unknown.Stderr.Should().Contain("no plan 'nightly'").And.Contain("the plans are app");

        await File.WriteAllTextAsync(Config, "plans: [");
        var malformed = await _cli.RunAsync("serve", "--config", Config);
        malformed.ExitCode.Should().Be(ExitCodes.PlanFileInvalid, malformed.ToString());
        malformed.Stderr.Should().Contain(Config + ":2:1: error: malformed YAML");
    }

    [Fact]
    public async Task The_sample_systemd_unit_passes_systemd_analyze_verify()
    {
        var unit = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "lifeboat.service"));
        unit.Should().Contain("Type=notify").And.Contain("ExecReload=/bin/kill -HUP $MAINPID").And.Contain("ExecStart=/usr/local/bin/lifeboat serve --config");
        var copy = Path.Combine(_dir, "lifeboat.service");
        await File.WriteAllTextAsync(copy, unit.Replace("/usr/local/bin/lifeboat", "/bin/true", StringComparison.Ordinal));
        var analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        analyze.Should().NotBeNull("tests/emulators/install installs systemd, which has systemd-analyze");
        var info = new ProcessStartInfo(analyze!, ["verify", copy]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, output);
        output.Trim().Should().BeEmpty();
    }

    [Fact]
    public async Task Under_systemd_serve_notifies_ready_once_it_serves_and_stopping_on_sigterm()
    {
        WritePlanFile("0 3 1 1 *");
        var notify = Path.Combine(_dir, "notify.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(notify));
        var messages = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None);
                messages.Enqueue(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
            }
        });

        // .NET's systemd integration (Type=notify) is on when the parent process is systemd: the agent is started by a
        // parent named systemd (perl under that name, which forks, execs the agent and waits), with NOTIFY_SOCKET set.
        var systemd = Path.Combine(_dir, "systemd");
        File.CreateSymbolicLink(systemd, "/usr/bin/perl");
        var info = new ProcessStartInfo(systemd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-e", "$SIG{INT} = 'DEFAULT'; my $pid = fork(); if ($pid == 0) { exec { $ARGV[0] } @ARGV or die \"exec: $!\\n\"; } waitpid($pid, 0); exit($? >> 8);"])
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add(CliRunner.Executable ?? "dotnet");
        if (CliRunner.Executable is null)
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lifeboat.dll"));
        }

        foreach (var arg in (string[])["serve", "--config", Config, "--listen", $"127.0.0.1:{AgentProcess.FreePort()}"])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NOTIFY_SOCKET"] = notify;
        info.Environment["XDG_STATE_HOME"] = Path.Combine(_dir, "state");
        using var parent = Process.Start(info)!;
        var stderr = parent.StandardError.ReadToEndAsync();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!messages.Any(m => m.Contains("READY=1", StringComparison.Ordinal)) && DateTime.UtcNow < until && !parent.HasExited)
        {
            await Task.Delay(100);
        }

        messages.Should().Contain(m => m.Contains("READY=1", StringComparison.Ordinal), "the agent says it is ready once it serves");
        var state = AgentStateFile.ReadLive(Journal + ".agent.json");
        state.Should().NotBeNull("the agent serves (its state file is there) when it says ready");
        using (var kill = Process.Start("kill", ["-TERM", state!.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await parent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        parent.ExitCode.Should().Be(0, await stderr);
        messages.Should().Contain(m => m.Contains("STOPPING=1", StringComparison.Ordinal));
        socket.Close();
        await receiving.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task A_lost_journal_is_rebuilt_from_the_repository_when_serve_starts_and_the_covered_slot_is_not_run_again()
    {
        await InitAsync();
        WritePlanFile("0 3 * * *");
        var run = await _cli.RunAsync("run", "app", "--config", Config, "--foreground");
        run.ExitCode.Should().Be(0, run.ToString());
        var snapshot = (await SnapshotsAsync()).Single().GetProperty("shortId").GetString();
        File.Delete(Journal);

        await using var agent = await AgentProcess.StartAsync(_cli, Config);
        var plans = await AgentProcess.JsonAsync(_cli, "plans", "--config", Config);
        var last = plans.GetProperty("plans")[0].GetProperty("jobs")[0].GetProperty("lastRun");
        last.GetProperty("result").GetString().Should().Be("succeeded");
        last.GetProperty("origin").GetString().Should().Be($"snapshot {snapshot} in repository main");
        plans.GetProperty("plans")[0].GetProperty("overdue").GetBoolean().Should().BeFalse();
        agent.Log.Should().Contain($"the journal is new: 1 backup rebuilt from repository main, the newest snapshot {snapshot}");
        await Task.Delay(2000);
        (await SnapshotsAsync()).Should().ContainSingle("the snapshot covers the last slot: nothing is run again");
    }

    private async Task InitAsync()
    {
        var init = await _cli.RunAsync("init", "--repo", Repository, "--password-file", PasswordFile, "--kdf-memory", "8");
        init.ExitCode.Should().Be(0, init.ToString());
    }

    private void WritePlanFile(string schedule, string? maxAge = null, string channels = "", string notify = "[]")
    {
        var lines = new List<string>
        {
            "agent:",
            "  journal: journal.db",
            "  remind_every: 1h",
            "repositories:",
            $"  main: {{ url: \"{Repository}\", password_file: \"{PasswordFile}\" }}",
            "sources:",
            $"  app: {{ db: \"{_db.Url("app")}\" }}",
            "plans:",
            "  app:",
            "    source: app",
            "    repository: main",
            $"    notify: {notify}",
            "    backup:",
            $"      schedule: \"{schedule}\"",
        };
        if (maxAge is not null)
        {
            lines.Add($"      max_age: {maxAge}");
        }

        if (channels.Length > 0)
        {
            lines.Add("channels:");
            lines.Add(channels.TrimEnd());
        }

        File.WriteAllText(Config, string.Join('\n', lines) + "\n");
    }

    private async Task<List<JsonElement>> SnapshotsAsync()
    {
        var result = await _cli.RunAsync("snapshots", "--repo", Repository, "--password-file", PasswordFile, "--json");
        return result.ExitCode == 0 ? [.. JsonDocument.Parse(result.Stdout).RootElement.Clone().EnumerateArray()] : [];
    }

    private static async Task<(HttpStatusCode Status, string Body)> HealthAsync(AgentProcess agent)
    {
        using var response = await agent.Http.GetAsync("/healthz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<double> MetricAsync(AgentProcess agent, string series)
    {
        var text = await agent.Http.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<(string Kind, string Condition)> Alerts(LoopbackReceiver hook) =>
        hook.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Where(b => b.TryGetProperty("condition", out _))
            .Select(b => (b.GetProperty("kind").GetString()!, b.GetProperty("condition").GetString()!)).ToList();

    private static async Task PromtoolAcceptsAsync(string exposition)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.First(File.Exists);
        var info = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, output);
        output.Trim().Should().BeEmpty(output);
    }
}
