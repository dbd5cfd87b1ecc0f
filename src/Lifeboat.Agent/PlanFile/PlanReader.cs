using Lifeboat.Agent.Scheduling;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lifeboat.Agent.PlanFile;

/// <summary>Reads one entry of <c>plans:</c>, its jobs and their schedules, and checks the names it refers to.</summary>
internal static class PlanReader
{
    public static readonly string[] Keys = ["source", "repository", "copies", "copy_max_lag", "notify", "backup", "retention", "check", "drill", "prune"];
    private static readonly string[] ScheduleKeys = ["schedule", "time_zone", "missed", "max_delay", "jitter"];
    private static readonly string[] BackupKeys = [.. ScheduleKeys, "tags", "max_age"];
    private static readonly string[] CheckKeys = [.. ScheduleKeys, "read_data_subset"];
    private static readonly string[] DrillKeys = [.. ScheduleKeys, "scratch", "checks", "rto", "rpo"];
    private static readonly string[] RetentionKeys = ["keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"];

    public static PlanSettings? Read(string name, YamlSection plan, KnownNames known)
    {
        var source = Reference(plan, plan.Scalar("source", required: true), "source", known.Sources);
        var repository = Reference(plan, plan.Scalar("repository", required: true), "repository", known.Repositories);
        var copies = new List<string>();
        foreach (var copy in plan.List("copies"))
        {
            if (Reference(plan, copy, "repository", known.Repositories) is { } c)
            {
                if (c == repository)
                {
                    plan.Diagnostics.At(copy, $"{plan.Path} copies to '{c}', its own repository: a copy goes to another one");
                }

                copies.Add(c);
            }
        }

        var notify = plan.List("notify").Select(n => Reference(plan, n, "channel", known.Channels)).OfType<string>().ToList();
        var backup = ReadBackup(plan.Section("backup", BackupKeys, required: true));
        var zone = backup?.Schedule.TimeZone ?? TimeZoneInfo.Utc;
        var retention = ReadRetention(plan.Section("retention", RetentionKeys));
        var check = plan.Section("check", CheckKeys) is { } c1 && ReadSchedule(c1, zone) is { } s1
            ? new CheckJob(s1, c1.Int("read_data_subset", 1, 1000))
            : null;
        var drill = ReadDrill(plan.Section("drill", DrillKeys), zone);
        var prune = plan.Section("prune", ScheduleKeys) is { } p && ReadSchedule(p, zone) is { } s3 ? new PruneJob(s3) : null;
        return source is null || repository is null || backup is null
            ? null
            : new PlanSettings(name, source, repository, copies, notify, backup, retention, check, drill, prune) { CopyMaxLag = plan.Duration("copy_max_lag") };
    }

    private static string? Reference(YamlSection plan, YamlScalarNode? node, string kind, IReadOnlySet<string> names)
    {
        if (node?.Value is not { } value)
        {
            return null;
        }

        if (names.Contains(value))
        {
            return value;
        }

        var nearest = NearestKey.Find(value, names);
        var hint = nearest is null ? string.Empty : $"; did you mean '{nearest}'?";
        var list = names.Count == 0 ? "none is defined" : $"defined: {string.Join(", ", names.Order(StringComparer.Ordinal))}";
        plan.Diagnostics.At(node, $"{plan.Path} names an unknown {kind} '{value}'{hint} ({list})");
        return null;
    }

    private static BackupJob? ReadBackup(YamlSection? section)
    {
        if (section is null || ReadSchedule(section, TimeZoneInfo.Utc) is not { } schedule)
        {
            return null;
        }

        return new BackupJob(schedule, section.Strings("tags"), section.Duration("max_age"));
    }

    private static DrillJob? ReadDrill(YamlSection? section, TimeZoneInfo zone)
    {
        if (section is null)
        {
            return null;
        }

        var schedule = ReadSchedule(section, zone);
        var scratch = section.String("scratch", required: true);
        var drill = new DrillJob(schedule!, scratch!, section.String("checks"), section.Duration("rto"), section.Duration("rpo"));
        return schedule is null || scratch is null ? null : drill;
    }

    private static RetentionSettings? ReadRetention(YamlSection? section)
    {
        if (section is null)
        {
            return null;
        }

        int? Keep(string key) => section.Int(key, 0, 1_000_000);
        var retention = new RetentionSettings(Keep("keep_last"), Keep("keep_hourly"), Keep("keep_daily"), Keep("keep_weekly"), Keep("keep_monthly"), Keep("keep_yearly"));
        if (RetentionKeys.All(k => !section.Has(k)))
        {
            section.Error("keep_last", $"{section.Path} keeps nothing: give at least one of {string.Join(", ", RetentionKeys)}");
            return null;
        }

        return retention;
    }

    /// <summary>The schedule keys of a job; <paramref name="defaultZone"/> when it names no time zone.</summary>
    private static JobSchedule? ReadSchedule(YamlSection section, TimeZoneInfo defaultZone)
    {
        var zone = ReadTimeZone(section) ?? defaultZone;
        var missed = section.Scalar("missed") switch
        {
            null => MissedRunPolicy.RunOnce,
            { Value: "run_once" } => MissedRunPolicy.RunOnce,
            { Value: "skip" } => MissedRunPolicy.Skip,
            var bad => Invalid(section, bad, $"'missed' in {section.Path} must be run_once or skip, not '{bad.Value}'"),
        };
        var maxDelay = section.Duration("max_delay");
        var jitter = section.Duration("jitter") ?? TimeSpan.Zero;
        if (section.Scalar("schedule", required: true) is not { } text || ParseSchedule(section, text, zone) is not { } schedule)
        {
            return null;
        }

        if (schedule is IntervalSchedule interval && jitter >= interval.Interval)
        {
            section.Error("jitter", $"'jitter' in {section.Path} must be shorter than the schedule's interval ({Units.FormatDuration(interval.Interval)})");
        }

        return new JobSchedule(schedule, zone, missed, maxDelay, jitter);
    }

    private static MissedRunPolicy Invalid(YamlSection section, YamlNode node, string message)
    {
        section.Diagnostics.At(node, message);
        return MissedRunPolicy.RunOnce;
    }

    private static TimeZoneInfo? ReadTimeZone(YamlSection section)
    {
        if (section.Scalar("time_zone") is not { Value: { } id } node)
        {
            return null;
        }

        if (id.Equals("UTC", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            section.Diagnostics.At(node, $"unknown time zone '{id}' in {section.Path}: use an IANA name such as Europe/Paris or America/New_York, or UTC");
            return null;
        }
    }

    private static ISchedule? ParseSchedule(YamlSection section, YamlScalarNode node, TimeZoneInfo zone)
    {
        var text = node.Value!;
        if (text.StartsWith("every", StringComparison.Ordinal))
        {
            var interval = Units.ParseDuration(text["every".Length..].Trim());
            if (interval is { } i && i >= IntervalSchedule.Minimum)
            {
                return new IntervalSchedule(i);
            }

            section.Diagnostics.At(node, $"'schedule' in {section.Path}: '{text}' must be 'every' and a duration of at least 1m, such as every 6h or every 1h30m");
            return null;
        }

        if (CronSchedule.TryParse(text, zone, out var error, out var offset) is { } cron)
        {
            return cron;
        }

        // point at the field the reason is about (plain and quoted scalars on one line)
        var start = node.Start;
        var shift = offset < 0 ? 0 : offset + (node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0);
        section.Diagnostics.At(new Mark(start.Index + shift, start.Line, start.Column + shift), $"'schedule' in {section.Path}: {error}");
        return null;
    }
}
