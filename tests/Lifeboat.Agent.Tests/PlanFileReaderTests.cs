using Lifeboat.Agent.PlanFile;
using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.Tests;

public sealed class PlanFileReaderTests
{
    private static PlanFileError[] Errors(string text)
    {
        var act = () => PlanFileReader.Parse(text, "lifeboat.yaml");
        return [.. act.Should().Throw<PlanFileException>().Which.Errors];
    }

    [Fact]
    public void The_full_example_reads_into_the_model_with_every_value()
    {
        var file = PlanFileReader.Parse(PlanFileSamples.Full, "lifeboat.yaml");

        file.Agent.Should().Be(new AgentSettings("127.0.0.1:8420", "/var/lib/lifeboat/journal.db", 2, TimeSpan.FromHours(4)));
        file.Repositories.Select(r => r.Name).Should().Equal("main", "offsite");
        file.Repository("main").QuotaBytes.Should().Be(500L * 1024 * 1024 * 1024);
        file.Repository("offsite").Password.Should().Be(new EnvReference("LIFEBOAT_OFFSITE_PASSWORD"));
        file.Source("app").Should().BeEquivalentTo(new { Jobs = 4, Profile = "supabase", Schemas = new[] { "public" }, Globals = true, PhysicalOrder = false });
        var plan = file.Plans.Single();
        plan.Copies.Should().Equal("offsite");
        plan.Notify.Should().Equal("ops-mail", "slack");
        plan.Backup.Schedule.Schedule.Should().Be(new IntervalSchedule(TimeSpan.FromHours(6)));
        plan.Backup.Schedule.TimeZone.Id.Should().Be("Europe/Paris");
        plan.Backup.Schedule.Should().BeEquivalentTo(new { Missed = MissedRunPolicy.RunOnce, MaxDelay = TimeSpan.FromMinutes(15), Jitter = TimeSpan.FromMinutes(5) });
        plan.Backup.MaxAge.Should().Be(TimeSpan.FromHours(25));
        plan.Retention.Should().Be(new RetentionSettings(3, 0, 30, 12, 12, 7));
        plan.Check!.ReadDataSubset.Should().Be(4);
        plan.Check.Schedule.TimeZone.Id.Should().Be("Europe/Paris", "a job without a time_zone takes the backup's");
        plan.Drill.Should().BeEquivalentTo(new { Scratch = "postgres://drill@staging:5432/postgres", Rto = TimeSpan.FromMinutes(30), Rpo = TimeSpan.FromHours(7) });
        plan.Jobs().Select(j => j.Kind).Should().Equal("backup", "check", "drill", "prune");
        file.Channels.Select(c => c.Type).Should().Equal("email", "slack", "webhook", "pagerduty", "ntfy", "ping");
        file.Channels.OfType<SlackChannelSettings>().Single().Should().BeEquivalentTo(new { WebhookUrl = new EnvReference("SLACK_WEBHOOK_URL"), Events = new[] { "failure", "recovered" } });
    }

    [Fact]
    public void An_env_reference_prints_as_the_reference_and_resolves_only_when_asked()
    {
        var reference = new EnvReference("SMTP_PASSWORD");

        reference.ToString().Should().Be("${SMTP_PASSWORD}");
        reference.Resolve(name => name == "SMTP_PASSWORD" ? "hunter2" : null).Should().Be("hunter2");
        var unset = () => new EnvReference("NOPE").Resolve(_ => null);
        unset.Should().Throw<InvalidOperationException>().WithMessage("*NOPE*not set*");
    }

    [Theory]
    [InlineData("plans:\n  a: [1, 2\n  b: x\n")]
    [InlineData("plans:\n  a: b\n c: d\n")]
    [InlineData("plans: 'unterminated\n")]
    public void Malformed_yaml_is_one_error_with_a_position(string text)
    {
        var error = Errors(text).Single();

        error.File.Should().Be("lifeboat.yaml");
        error.Message.Should().StartWith("malformed YAML: ");
        error.Line.Should().BeGreaterThan(0);
    }

    [Fact]
    public void An_unquoted_env_reference_in_braces_is_told_to_be_quoted()
    {
        var error = Errors("channels:\n  s: { type: slack, webhook_url: ${SLACK_URL} }\n").Single();

        error.Line.Should().Be(2);
        error.Message.Should().Contain("quote a ${NAME} reference");
    }

    [Fact]
    public void An_unknown_key_names_the_nearest_valid_one_at_its_line_and_column()
    {
        var error = Errors(PlanFileSamples.WithBackup("schedul: every 6h")).Should().Contain(e => e.Message.StartsWith("unknown key")).Which;

        error.Message.Should().StartWith("unknown key 'schedul' in plans.nightly.backup; did you mean 'schedule'?");
        (error.Line, error.Column).Should().Be((10L, 7L));
    }

    [Fact]
    public void Every_error_is_reported_not_only_the_first()
    {
        var errors = Errors(PlanFileSamples.WithBackup("schedule: every 6h\njitter: soon\nmissed: always\ntime_zone: Mars/Olympus"));

        errors.Select(e => (e.Line, e.Column)).Should().Equal((11L, 15L), (12L, 15L), (13L, 18L));
        errors[0].Message.Should().Be("'jitter' in plans.nightly.backup must be a duration such as 30s, 15m, 6h, 7d or 1h30m, not 'soon'");
        errors[1].Message.Should().Be("'missed' in plans.nightly.backup must be run_once or skip, not 'always'");
        errors[2].Message.Should().StartWith("unknown time zone 'Mars/Olympus' in plans.nightly.backup");
    }

    [Fact]
    public void A_missing_required_key_is_reported_at_the_section_that_needs_it()
    {
        var error = Errors(PlanFileSamples.WithBackup("tags: [x]")).Single();

        error.Message.Should().Be("plans.nightly.backup needs 'schedule'");
        (error.Line, error.Column).Should().Be((9L, 5L));
    }

    [Fact]
    public void A_wrong_type_says_what_was_expected()
    {
        var errors = Errors(PlanFileSamples.WithBackup("schedule: every 6h\ntags: { a: b }").Replace("app: { db: postgres://backup@localhost/app }", "app: { db: postgres://backup@localhost/app, jobs: many, globals: yes }"));

        errors.Select(e => e.Message).Should().Equal(
            "'jobs' in sources.app must be a whole number from 1 to 64, not 'many'",
            "'globals' in sources.app must be true or false, not 'yes'",
            "'tags' in plans.nightly.backup must be a list, not a mapping");
    }

    [Fact]
    public void A_plan_naming_an_unknown_source_repository_copy_or_channel_is_refused_at_the_name()
    {
        var text = PlanFileSamples.WithBackup("schedule: every 6h")
            .Replace("source: app", "source: ap")
            .Replace("repository: main", "repository: mian\n    copies: [offsite]\n    notify: [ops]");
        var errors = Errors(text);

        errors.Select(e => e.Message).Should().Equal(
            "plans.nightly names an unknown source 'ap'; did you mean 'app'? (defined: app)",
            "plans.nightly names an unknown repository 'mian'; did you mean 'main'? (defined: main)",
            "plans.nightly names an unknown repository 'offsite' (defined: main)",
            "plans.nightly names an unknown channel 'ops' (none is defined)");
        (errors[0].Line, errors[0].Column).Should().Be((7L, 13L));
        (errors[2].Line, errors[2].Column).Should().Be((9L, 14L));
    }

    [Theory]
    [InlineData("password: hunter2", "'password' holds a literal secret", 3)]
    [InlineData("password: pre${X}", "'password' holds a literal secret", 3)]
    [InlineData("password_file: /etc/pass\n    url: s3://key:sEcReT@host/bucket", "'url' is a URL with a password in it", 4)]
    public void A_literal_secret_is_refused_with_its_line_and_never_repeated(string repository, string message, long line)
    {
        var text = $"repositories:\n  main:\n    {repository}\nsources:\n  app: {{ db: /x }}\nplans:\n  p: {{ source: app, repository: main, backup: {{ schedule: every 1h }} }}\n";
        var errors = Errors(text);

        var error = errors.Should().ContainSingle(e => e.Message.StartsWith(message)).Which;
        error.Line.Should().Be(line);
        errors.Select(e => e.Message).Should().NotContain(m => m.Contains("hunter2") || m.Contains("sEcReT"));
    }

    [Theory]
    [InlineData("postgres://backup:s3cret@db/app")]
    [InlineData("host=db user=backup password=s3cret dbname=app")]
    [InlineData("postgres://backup@db/app?password=s3cret")]
    public void A_password_in_a_database_connection_is_refused(string db)
    {
        var text = PlanFileSamples.WithBackup("schedule: every 6h").Replace("postgres://backup@localhost/app", $"'{db}'");

        var error = Errors(text).Single();

        (error.Line, error.Column).Should().Be((4L, 14L));
        error.Message.Should().Contain("'db' is a").And.Contain("password in it").And.NotContain("s3cret");
    }

    [Fact]
    public void A_secret_key_outside_the_schema_is_refused_too()
    {
        var text = PlanFileSamples.WithBackup("schedule: every 6h") + "\nchannels:\n  x: { type: ping, url: https://hc-ping.com/1, api_token: abc123 }\n";

        Errors(text).Select(e => e.Message).Should().Contain(m => m.StartsWith("'api_token' holds a literal secret"))
            .And.Contain(m => m.StartsWith("unknown key 'api_token' in channels.x"));
    }

    [Theory]
    [InlineData("repositories:\n  main: { url: /r, password_file: /p, quota: lots }", "'quota' in repositories.main must be a size such as 500GiB or 1TB, not 'lots'")]
    [InlineData("repositories:\n  main: { url: /r, password_file: /p, storage_alert_percent: 80 }", "'storage_alert_percent' in repositories.main needs a 'quota' to be a percentage of")]
    [InlineData("repositories:\n  main: { url: /r }", "repositories.main needs 'password_file' or 'password: ${SOME_ENV_VAR}'")]
    public void Repository_values_are_checked(string repositories, string message)
    {
        var text = PlanFileSamples.WithBackup("schedule: every 6h").Replace("repositories:\n  main: { url: /srv/repo, password_file: /etc/lifeboat/pass }", repositories);

        Errors(text).Select(e => e.Message).Should().Equal(message);
    }

    [Fact]
    public void A_channel_type_decides_its_keys_and_events_are_checked()
    {
        var text = PlanFileSamples.WithBackup("schedule: every 6h")
            + "\nchannels:\n  s: { type: slak }\n  m: { type: email, smtp: h:25, from: a@b, to: [c@d], url: x, events: [failur] }\n";

        Errors(text).Select(e => e.Message).Should().Equal(
            "unknown channel type 'slak' in channels.s; did you mean 'slack'? (types: email, slack, webhook, pagerduty, ntfy, ping)",
            "unknown key 'url' in channels.m (valid keys: type, events, smtp, tls, username, password, from, to)",
            "unknown event 'failur' in channels.m; did you mean 'failure'? (events: failure, overdue, recovered, objective, copy_lag, storage, anomaly, late, reminder)");
    }

    [Theory]
    [InlineData("every 6", "'schedule' in plans.nightly.backup: 'every 6' must be 'every' and a duration of at least 1m, such as every 6h or every 1h30m", 17)]
    [InlineData("'0 */6 * *'", "'schedule' in plans.nightly.backup: a cron expression has 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; '0 */6 * *' has 4", 17)]
    [InlineData("'0 25 * * *'", "'schedule' in plans.nightly.backup: invalid cron expression '0 25 * * *': hour field '25': ", 20)]
    [InlineData("'0 0 30 2 *'", "'schedule' in plans.nightly.backup: the cron expression '0 0 30 2 *' never matches a date", 17)]
    public void An_invalid_schedule_says_why_and_points_at_the_field(string schedule, string message, long column)
    {
        var error = Errors(PlanFileSamples.WithBackup($"schedule: {schedule}")).Single();

        error.Message.Should().StartWith(message);
        (error.Line, error.Column).Should().Be((10L, column));
    }

    [Fact]
    public void A_cron_with_seconds_and_a_time_zone_reads()
    {
        var plan = PlanFileReader.Parse(PlanFileSamples.WithBackup("schedule: '30 0 3 * * *'\ntime_zone: America/New_York"), "f").Plans.Single();

        plan.Backup.Schedule.Schedule.Should().BeOfType<CronSchedule>().Which.TimeZone.Id.Should().Be("America/New_York");
        plan.Backup.Schedule.Schedule.Next(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero))
            .Should().Be(new DateTimeOffset(2026, 12, 7, 3, 0, 30, TimeSpan.FromHours(-5)));
    }

    [Theory]
    [InlineData("", "the plan file is empty")]
    [InlineData("just words", "the plan file must be a mapping of keys to values, not a single value")]
    [InlineData("repositories:\nsources:\nplans:\n", "'plans' names no plan")]
    public void A_file_without_plans_says_so(string text, string message) =>
        Errors(text).Select(e => e.Message).Should().Equal(message);

    [Fact]
    public void A_key_given_twice_is_an_error_at_the_second()
    {
        var error = Errors(PlanFileSamples.WithBackup("schedule: every 6h\nschedule: every 1h")).Single();

        error.Message.Should().Contain("schedule");
        error.Line.Should().Be(11);
    }
}
