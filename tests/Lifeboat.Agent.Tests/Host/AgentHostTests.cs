using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lifeboat.Agent.Host;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;
using Lifeboat.Agent.Tests.Notifications;
using static Lifeboat.Agent.Tests.Host.AgentHostFixture;

namespace Lifeboat.Agent.Tests.Host;

public sealed class AgentHostTests
{
    private const string EveryTwoSeconds = "*/2 * * * * *";
    private const string Never = "0 0 1 1 *"; // once a year: never within a test

    [Fact]
    public async Task A_plan_on_a_two_second_cron_runs_its_backup_journals_it_and_serves_it_in_the_api_and_the_metrics()
    {
        await using var fixture = new AgentHostFixture();
        await fixture.StartAsync(PlanText(EveryTwoSeconds));

        await EventuallyAsync(async () => (await fixture.PlansAsync()).Plans[0].Jobs[0].LastRun is not null, "a backup ran");
        var plan = (await fixture.PlansAsync()).Plans.Single();
        var backup = plan.Jobs.Single(j => j.Kind == "backup");
        backup.LastRun!.Result.Should().Be("succeeded");
        backup.LastRun.Figures.Should().ContainKey("size_bytes").WhoseValue.Should().Be(1000);
        backup.Schedule.Should().Be(EveryTwoSeconds);
        backup.NextRun.Should().BeAfter(backup.LastRun.StartedAt);
        plan.Overdue.Should().BeFalse();
        fixture.Jobs.Calls.Should().OnlyContain(c => c.Plan == "app" && c.Kind == RunKind.Backup);

        var metrics = await fixture.Http.GetStringAsync("/metrics");
        metrics.Should().Contain("lifeboat_backup_size_bytes{plan=\"app\",source=\"app\",repository=\"main\"} 1000");
        metrics.Should().Contain("lifeboat_runs_total{plan=\"app\",source=\"app\",repository=\"main\",kind=\"backup\",status=\"success\"}");
        metrics.Should().Contain("lifeboat_next_run_timestamp_seconds{plan=\"app\"");

        await using var journal = await RunJournal.OpenReadOnlyAsync(fixture.JournalPath, TimeProvider.System, CancellationToken.None);
        (await journal!.RecentRunsAsync("app", RunKind.Backup, 10, CancellationToken.None)).Should().NotBeEmpty()
            .And.OnlyContain(r => r.Result == RunResult.Succeeded || r.Result == RunResult.Running);
    }

    [Fact]
    public async Task A_failing_backup_sends_one_alert_and_exactly_one_recovery_once_it_succeeds_again()
    {
        await using var receiver = LoopbackReceiver.Start();
        await using var fixture = new AgentHostFixture();
        fixture.Jobs.Behaviour = (n, _) => n < 2
            ? throw new InvalidOperationException("could not reach the database at 127.0.0.1:5999: connection refused")
            : Task.FromResult(ScriptedJobs.Report(1000));
        await fixture.StartAsync(PlanText(EveryTwoSeconds, receiver.Url("/hook")));

        await EventuallyAsync(() => Kinds(receiver).Contains("recovered"), "a recovery was sent");
        await Task.Delay(2500); // another successful run: nothing more
        var kinds = Kinds(receiver);
        kinds.Count(k => k == "firing").Should().Be(1);
        kinds.Count(k => k == "recovered").Should().Be(1);
        var firing = Bodies(receiver).Single(b => b.GetProperty("kind").GetString() == "firing");
        firing.GetProperty("condition").GetString().Should().Be("backup_failed");
        firing.GetProperty("detail").GetString().Should().Contain("connection refused");
        fixture.Log.Lines.Should().Contain(l => l.Contains("app/backup: failed after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Healthz_is_503_with_the_reason_while_a_plan_is_overdue_and_200_once_it_has_a_fresh_backup()
    {
        await using var fixture = new AgentHostFixture();
        await fixture.StartAsync(PlanText(Never, backupExtra: "      max_age: 2s"));

        await EventuallyAsync(async () => (await fixture.Http.GetAsync("/healthz")).StatusCode == HttpStatusCode.ServiceUnavailable, "healthz turned 503");
        var body = await (await fixture.Http.GetAsync("/healthz")).Content.ReadAsStringAsync();
        body.Should().Contain("app: overdue: no successful run yet, and the plan allows 2 seconds without one");
        (await fixture.PlansAsync()).Plans[0].Overdue.Should().BeTrue();

        var answer = await RunAsync(fixture, "app", new RunRequest(["pre-deploy"], null, null, Wait: true));
        answer.Result.Should().Be("succeeded");
        await EventuallyAsync(async () => (await fixture.Http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK, "healthz back to 200");
    }

    [Fact]
    public async Task The_api_refuses_a_call_without_the_token_runs_a_plan_now_with_its_tags_and_says_404_for_an_unknown_plan()
    {
        await using var fixture = new AgentHostFixture();
        await fixture.StartAsync(PlanText(Never));
        using var anonymous = new HttpClient { BaseAddress = fixture.Http.BaseAddress };

        (await anonymous.GetAsync("/api/plans")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/plans/app/run", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        fixture.Jobs.Calls.Should().BeEmpty();

        var until = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var answer = await RunAsync(fixture, "app", new RunRequest(["pre-migration"], until, "before the migration", Wait: true));
        answer.Result.Should().Be("succeeded");
        answer.Through.Should().Be("agent");
        answer.Summary.Should().Be("snapshot 1234abcd");
        var call = fixture.Jobs.Calls.Single();
        call.Options.ExtraTags.Should().Equal("pre-migration");
        call.Options.HoldUntil.Should().Be(until);
        call.Options.HoldReason.Should().Be("before the migration");

        using var unknown = await fixture.Http.PostAsJsonAsync("/api/plans/nope/run", new RunRequest(null, null, null, false), AgentJson.Default.RunRequest);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("no plan 'nope'").And.Contain("the plans are app");

        using var queued = await fixture.Http.PostAsJsonAsync("/api/plans/app/run", new RunRequest(null, null, null, false), AgentJson.Default.RunRequest);
        queued.StatusCode.Should().Be(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task A_bad_edit_of_the_plan_file_keeps_the_old_plans_running_and_says_why_and_a_good_edit_is_served()
    {
        await using var fixture = new AgentHostFixture();
        await fixture.StartAsync(PlanText(Never));

        await File.WriteAllTextAsync(fixture.PlanFilePath, PlanText("every 5 parsecs"));
        await EventuallyAsync(() => fixture.Log.Lines.Any(l => l.Contains("the plans loaded before keep running unchanged", StringComparison.Ordinal)), "the bad edit was refused");
        fixture.Log.Lines.Should().Contain(l => l.Contains(fixture.PlanFilePath + ":", StringComparison.Ordinal) && l.Contains("parsecs", StringComparison.Ordinal));
        (await fixture.PlansAsync()).Plans.Single().Jobs[0].Schedule.Should().Be(Never);

        var second = """
              nightly:
                source: app
                repository: main
                backup: { schedule: "0 2 * * *" }
            """;
        await File.WriteAllTextAsync(fixture.PlanFilePath, PlanText(Never, morePlans: second));
        await EventuallyAsync(async () => (await fixture.PlansAsync()).Plans.Count == 2, "the good edit was served");
        fixture.Log.Lines.Should().Contain(l => l.Contains("reloaded, now serving 2 plans", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_lets_a_running_backup_finish_within_the_grace()
    {
        await using var fixture = new AgentHostFixture();
        var release = new TaskCompletionSource();
        fixture.Jobs.Behaviour = async (_, _) =>
        {
            await release.Task;
            return ScriptedJobs.Report(1000);
        };
        var agent = await fixture.StartAsync(PlanText(Never), grace: TimeSpan.FromSeconds(20));
        _ = RunAsync(fixture, "app", new RunRequest(null, null, null, Wait: false));
        await EventuallyAsync(() => fixture.Jobs.Calls.Count == 1, "the backup started");

        var stop = agent.StopAsync();
        await Task.Delay(300);
        stop.IsCompleted.Should().BeFalse("the running backup is given its grace");
        release.SetResult();
        await stop;

        await using var journal = await RunJournal.OpenAsync(fixture.JournalPath, TimeProvider.System, CancellationToken.None);
        (await journal.RecentRunsAsync("app", RunKind.Backup, 1, CancellationToken.None)).Single().Result.Should().Be(RunResult.Succeeded);
        File.Exists(AgentStateFile.PathFor(fixture.JournalPath)).Should().BeFalse("the state file goes with the agent");
    }

    [Fact]
    public async Task Stopping_cancels_a_backup_that_outlasts_the_grace_and_journals_it_as_cancelled_not_failed()
    {
        await using var fixture = new AgentHostFixture();
        fixture.Jobs.Behaviour = async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return ScriptedJobs.Report(1000);
        };
        var agent = await fixture.StartAsync(PlanText(Never), grace: TimeSpan.FromMilliseconds(300));
        _ = RunAsync(fixture, "app", new RunRequest(null, null, null, Wait: false));
        await EventuallyAsync(() => fixture.Jobs.Calls.Count == 1, "the backup started");

        await agent.StopAsync();

        await using var journal = await RunJournal.OpenAsync(fixture.JournalPath, TimeProvider.System, CancellationToken.None);
        var run = (await journal.RecentRunsAsync("app", RunKind.Backup, 1, CancellationToken.None)).Single();
        run.Result.Should().Be(RunResult.Cancelled);
        run.Error.Should().Contain("nothing was committed");
        journal.Interrupted.Should().BeEmpty();
    }

    [Fact]
    public async Task A_run_a_killed_agent_left_running_is_journaled_as_failed_and_alerted_once_on_restart()
    {
        await using var receiver = LoopbackReceiver.Start();
        await using var fixture = new AgentHostFixture();
        await using (var before = await RunJournal.OpenAsync(fixture.JournalPath, TimeProvider.System, CancellationToken.None))
        {
            await before.StartRunAsync("app", RunKind.Backup, CancellationToken.None); // never finished: the agent "died"
        }

        await fixture.StartAsync(PlanText(Never, receiver.Url("/hook")));

        await EventuallyAsync(() => Kinds(receiver).Contains("firing"), "the interrupted run was alerted");
        Bodies(receiver).Single().GetProperty("detail").GetString().Should().Be(RunJournal.InterruptedMessage);
        var last = (await fixture.PlansAsync()).Plans[0].Jobs[0].LastRun!;
        last.Result.Should().Be("failed");
        fixture.Log.Lines.Should().Contain(l => l.Contains("was interrupted (the agent stopped during it): journaled as failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_copy_behind_its_primary_by_more_than_copy_max_lag_fires_copy_lag_once_and_recovers_when_a_copy_catches_up()
    {
        await using var receiver = LoopbackReceiver.Start();
        await using var fixture = new AgentHostFixture();
        fixture.Jobs.Behaviour = (n, _) => Task.FromResult(ScriptedJobs.Report(1000) with
        {
            Copies = n < 3 ? [new CopyReport("offsite", "repository offsite stayed locked", 7200 + n)] : [new CopyReport("offsite", null, 0)],
        });
        var text = PlanText(EveryTwoSeconds, receiver.Url("/hook"))
            .Replace("repositories:\n", "repositories:\n  offsite: { url: /tmp/not-opened-either, password: \"${NO_SUCH_VARIABLE}\" }\n", StringComparison.Ordinal)
            .Replace("    repository: main\n", "    repository: main\n    copies: [offsite]\n    copy_max_lag: 1h\n", StringComparison.Ordinal);
        await fixture.StartAsync(text);

        await EventuallyAsync(() => Bodies(receiver).Any(b => b.GetProperty("kind").GetString() == "recovered" && b.GetProperty("condition").GetString() == "copy_lag"), "copy_lag recovered");
        var lag = Bodies(receiver).Where(b => b.GetProperty("condition").GetString() == "copy_lag").ToList();
        lag.Select(b => b.GetProperty("kind").GetString()).Should().Equal("firing", "recovered");
        lag[0].GetProperty("detail").GetString().Should().Be("the copy in offsite is 2h behind the primary (allowed: 1h)");
        (await fixture.Http.GetStringAsync("/metrics")).Should().Contain("lifeboat_copy_lag_seconds{plan=\"app\",source=\"app\",repository=\"offsite\"} 0");
    }

    [Fact]
    public async Task A_lost_journal_is_rebuilt_from_the_repositorys_snapshots_so_the_plan_is_fresh_and_the_covered_slot_is_not_run_again()
    {
        await using var fixture = new AgentHostFixture();
        var now = DateTimeOffset.UtcNow;
        fixture.Jobs.History = _ => [new("0ld0ld00", now.AddDays(-2), 12, 5000, 4000), new("1234abcd", now, 30, 6000, 100)];
        await fixture.StartAsync(PlanText("0 * * * *"));

        var plan = (await fixture.PlansAsync()).Plans.Single();
        var last = plan.Jobs.Single(j => j.Kind == "backup").LastRun!;
        last.Result.Should().Be("succeeded");
        last.Origin.Should().Be("snapshot 1234abcd in repository main");
        last.Figures.Should().Contain(new KeyValuePair<string, double>("size_bytes", 6000)).And.Contain(new KeyValuePair<string, double>("duration_seconds", 30));
        last.EndedAt.Should().BeCloseTo(now.AddSeconds(30), TimeSpan.FromMilliseconds(1));
        plan.Overdue.Should().BeFalse();
        (await fixture.Http.GetStringAsync("/metrics")).Should().Contain("lifeboat_last_run_duration_seconds{plan=\"app\",source=\"app\",repository=\"main\",kind=\"backup\"} 30")
            .And.Contain("lifeboat_last_success_timestamp_seconds{plan=\"app\",source=\"app\",repository=\"main\",kind=\"backup\"} 1");
        await Task.Delay(1500);
        fixture.Jobs.Calls.Should().BeEmpty("the newest snapshot covers the last slot: the missed-run policy has nothing to run");
        fixture.Log.Lines.Should().Contain(l => l.Contains("the journal is new: 2 backups rebuilt from repository main, the newest snapshot 1234abcd", StringComparison.Ordinal));

        await fixture.Agent!.DisposeAsync();
        await using var journal = await RunJournal.OpenReadOnlyAsync(fixture.JournalPath, TimeProvider.System, CancellationToken.None);
        (await journal!.RecentRunsAsync("app", null, 10, CancellationToken.None)).Should().HaveCount(2).And.OnlyContain(r => r.Origin != null);
    }

    [Fact]
    public async Task A_rebuilt_journal_whose_newest_snapshot_is_older_than_the_last_slot_runs_the_missed_slot_once_and_an_unreadable_repository_is_said()
    {
        await using var fixture = new AgentHostFixture();
        fixture.Jobs.History = plan => plan.Name == "app"
            ? [new("0ld0ld00", DateTimeOffset.UtcNow.AddHours(-3), 12, 5000, 4000)]
            : throw new IOException("the storage at /srv/other does not answer");
        var other = "  other:\n    source: app\n    repository: main\n    backup:\n      schedule: \"0 0 1 1 *\"";
        await fixture.StartAsync(PlanText("0 * * * *", morePlans: other));

        await EventuallyAsync(() => fixture.Jobs.Calls.Count(c => c.Plan == "app") == 1, "the missed slot ran once");
        await Task.Delay(1000);
        fixture.Jobs.Calls.Should().ContainSingle(c => c.Plan == "app");
        fixture.Log.Lines.Should().Contain(l => l.Contains("other/backup: the journal is new, and repository main could not be read to rebuild the plan's history (the storage at /srv/other does not answer): the plan starts as new", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_channel_whose_secret_variable_is_unset_stops_the_start_with_its_name_and_leaves_the_journal_closed()
    {
        await using var fixture = new AgentHostFixture();
        var text = PlanText(Never).Replace("hook: { type: webhook, url: \"http://127.0.0.1:9/\" }", "hook: { type: slack, webhook_url: \"${SLACK_URL_NOT_SET}\" }", StringComparison.Ordinal)
            .Replace("notify: []", "notify: [hook]", StringComparison.Ordinal);

        var start = () => fixture.StartAsync(text);

        (await start.Should().ThrowAsync<ChannelConfigurationException>()).Which.Reason.Should().Contain("SLACK_URL_NOT_SET");
        File.Exists(fixture.JournalPath).Should().BeFalse("nothing is created before the channels are known to work");
    }

    private static async Task<RunAnswer> RunAsync(AgentHostFixture fixture, string plan, RunRequest request)
    {
        using var response = await fixture.Http.PostAsJsonAsync($"/api/plans/{plan}/run", request, AgentJson.Default.RunRequest);
        return (await response.Content.ReadFromJsonAsync(AgentJson.Default.RunAnswer))!;
    }

    private static List<JsonElement> Bodies(LoopbackReceiver receiver) =>
        receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();

    private static List<string> Kinds(LoopbackReceiver receiver) => Bodies(receiver).Select(b => b.GetProperty("kind").GetString()!).ToList();
}
