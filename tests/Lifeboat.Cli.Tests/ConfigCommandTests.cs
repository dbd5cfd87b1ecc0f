using System.Globalization;
using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class ConfigCommandTests : IDisposable
{
    private const string Good = """
        repositories:
          main:
            url: /srv/lifeboat
            password: ${LIFEBOAT_PASSWORD}
        sources:
          app:
            db: postgres://backup@localhost/app
        plans:
          app-6h:
            source: app
            repository: main
            notify: [slack]
            backup:
              schedule: every 6h
              time_zone: Europe/Paris
              jitter: 5m
            check:
              schedule: "0 3 * * 0"
        channels:
          slack:
            type: slack
            webhook_url: ${SLACK_WEBHOOK_URL}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("lifeboat-config-").FullName;
    private readonly CliRunner _cli = new();

    public ConfigCommandTests()
    {
        _cli.Environment["LIFEBOAT_CONFIG"] = null;
        _cli.Environment["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T0/B0/resolved-secret-value";
        _cli.Environment["LIFEBOAT_PASSWORD"] = "resolved-password-value";
    }

    private string Write(string text, string name = "lifeboat.yaml")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_good_file_prints_each_plan_with_the_next_three_runs_of_every_job_in_its_zone_and_utc()
    {
        var path = Write(Good);

        var result = await _cli.RunAsync("config", "check", path);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().StartWith($"{path}: OK: 1 plan, 1 repository, 1 source, 1 channel");
        result.Out.Should().Contain("plan app-6h: source app to repository main, notifies slack");
        result.Out.Should().Contain("backup  every 6h, time zone Europe/Paris, missed: run_once, jitter up to 5m");
        result.Out.Should().Contain("check   0 3 * * 0, time zone Europe/Paris, missed: run_once");
        var runLines = result.Out.Split('\n').Where(l => l.Contains("Europe/Paris ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" UTC", StringComparison.Ordinal)).ToList();
        runLines.Should().HaveCount(6, "three runs of the backup and three of the check");
        result.Out.Should().NotContain("resolved-");
    }

    [Fact]
    public async Task Json_lists_the_next_runs_and_prints_secrets_only_as_references()
    {
        _cli.Environment["LIFEBOAT_CONFIG"] = Write(Good);

        var result = await _cli.RunAsync("config", "check", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().NotContain("resolved-");
        using var json = JsonDocument.Parse(result.Stdout);
        json.RootElement.GetProperty("repositories")[0].GetProperty("password").GetString().Should().Be("${LIFEBOAT_PASSWORD}");
        var backup = json.RootElement.GetProperty("plans")[0].GetProperty("jobs")[0];
        backup.GetProperty("kind").GetString().Should().Be("backup");
        var runs = backup.GetProperty("next").EnumerateArray().ToList();
        runs.Should().HaveCount(3);
        foreach (var run in runs)
        {
            var slot = run.GetProperty("slot").GetDateTimeOffset();
            (slot.UtcDateTime.Hour % 6, slot.Minute, slot.Second).Should().Be((0, 0, 0), "every 6h slots are 00, 06, 12, 18 UTC");
            var utc = run.GetProperty("utc").GetDateTimeOffset();
            (utc - slot).Should().BeLessThan(TimeSpan.FromMinutes(5)).And.BeGreaterThanOrEqualTo(TimeSpan.Zero);
            run.GetProperty("local").GetString().Should().MatchRegex(@"\+0[12]:00$", "Paris time");
            run.GetProperty("local").GetDateTimeOffset().Should().Be(utc);
        }

        runs.Select(r => r.GetProperty("utc").GetDateTimeOffset()).Should().BeInAscendingOrder();
        runs[0].GetProperty("utc").GetDateTimeOffset().Should().BeAfter(DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task A_bad_file_prints_every_error_with_file_line_and_column_and_exits_40()
    {
        var path = Write("""
            repositories:
              main: { url: /srv/lifeboat, password_file: /etc/pass }
            sources:
              app: { db: postgres://backup@localhost/app }
            plans:
              p:
                source: ap
                repository: main
                backup:
                  schedul: every 6h
                check:
                  schedule: "0 25 * * *"
            """);

        var result = await _cli.RunAsync("config", "check", path);

        result.ExitCode.Should().Be(40, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain($"{path}:7:13: error: plans.p names an unknown source 'ap'; did you mean 'app'? (defined: app)");
        lines.Should().Contain($"{path}:9:5: error: plans.p.backup needs 'schedule'");
        lines.Should().Contain(l => l.StartsWith($"{path}:10:7: error: unknown key 'schedul' in plans.p.backup; did you mean 'schedule'?", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith($"{path}:12:20: error: 'schedule' in plans.p.check: invalid cron expression '0 25 * * *': hour field '25': ", StringComparison.Ordinal));
        lines[^1].Should().Be($"lifeboat: {path} is not a valid plan file: 4 error(s)");
        result.Out.Should().BeEmpty();
    }

    [Fact]
    public async Task A_literal_secret_is_refused_with_its_line_and_not_echoed_anywhere()
    {
        var path = Write(Good.Replace("webhook_url: ${SLACK_WEBHOOK_URL}", "webhook_url: https://hooks.slack.com/services/T0/B0/xoxb-literal-9f8e7d", StringComparison.Ordinal));

        var text = await _cli.RunAsync("config", "check", path);
        var json = await _cli.RunAsync("config", "check", path, "--json");

        text.ExitCode.Should().Be(40, text.ToString());
        text.Stderr.Should().Contain($"{path}:22:18: error: 'webhook_url' holds a literal secret: secrets are never written in the plan file; use 'webhook_url: ${{SOME_ENV_VAR}}' instead");
        json.ExitCode.Should().Be(40, json.ToString());
        using var output = JsonDocument.Parse(json.Stdout);
        output.RootElement.GetProperty("exitCode").GetInt32().Should().Be(40);
        var error = output.RootElement.GetProperty("errors")[0];
        (error.GetProperty("line").GetInt64(), error.GetProperty("column").GetInt64()).Should().Be((22L, 18L));
        foreach (var result in new[] { text, json })
        {
            (result.Out + result.Stderr).Should().NotContain("xoxb-literal-9f8e7d").And.NotContain("hooks.slack.com");
        }
    }

    [Fact]
    public async Task A_missing_file_is_its_own_error_naming_where_it_looked()
    {
        var missing = Path.Combine(_dir, "nowhere.yaml");
        _cli.Environment["LIFEBOAT_CONFIG"] = missing;

        var result = await _cli.RunAsync("config", "check");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Trim().Should().Be($"lifeboat: no plan file at {missing} (no FILE given: $LIFEBOAT_CONFIG, else ./lifeboat.yaml)");
    }

    [Fact]
    public async Task A_directory_given_as_the_file_is_a_clear_error_not_a_crash()
    {
        var result = await _cli.RunAsync("config", "check", _dir);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().StartWith($"lifeboat: no plan file at {_dir}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
