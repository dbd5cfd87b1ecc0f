using System.CommandLine;
using System.Globalization;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Cli.Commands;

/// <summary><c>config check [FILE]</c>: reads the agent's plan file (docs/agent.md) and prints what it would run, and when.</summary>
internal static class ConfigCommand
{
    /// <summary>The variable naming the plan file when no FILE is given.</summary>
    public const string ConfigVariable = "LIFEBOAT_CONFIG";

    private const string DefaultFile = "lifeboat.yaml";
    private const int RunsShown = 3;

    public static Command Create()
    {
        var file = new Argument<string?>("FILE")
        {
            Description = $"The plan file. Default: ${ConfigVariable}, else ./{DefaultFile}",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var check = new Command("check", "Check a plan file: every error with file:line:col, else each plan's next three runs") { file };
        var config = new Command("config", "The agent's plan file (docs/agent.md)");
        config.Subcommands.Add(check.WithAction(async context =>
        {
            if (await LoadAsync(context, context.Get(file)) is not { } plans)
            {
                return ExitCodes.PlanFileInvalid;
            }

            var now = TimeProvider.System.GetUtcNow();
            if (context.Json)
            {
                context.WriteJson(ConfigCheckOutput.Of(plans, now, RunsShown));
            }
            else
            {
                Print(plans, now);
            }

            return ExitCodes.Ok;
        }));
        return config;
    }

    /// <summary>
    /// The plan file at <paramref name="given"/>, else <c>$LIFEBOAT_CONFIG</c>, else <c>./lifeboat.yaml</c>; null when it is
    /// invalid, after its errors were printed (exit <see cref="ExitCodes.PlanFileInvalid"/>). A missing or unreadable file
    /// is a <see cref="UsageException"/>.
    /// </summary>
    internal static async Task<PlanFile?> LoadAsync(CliContext context, string? given)
    {
        var path = given ?? (Environment.GetEnvironmentVariable(ConfigVariable) is { Length: > 0 } v ? v : DefaultFile);
        if (!File.Exists(path))
        {
            var origin = given is not null ? "" : $" (no FILE given: ${ConfigVariable}, else ./{DefaultFile})";
            throw new UsageException($"no plan file at {path}{origin}");
        }

        try
        {
            return await PlanFileReader.LoadAsync(path, context.CancellationToken);
        }
        catch (PlanFileException e)
        {
            Invalid(context, path, e.Errors);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the plan file {path}: {e.Message}");
        }
    }

    private static void Invalid(CliContext context, string path, IReadOnlyList<PlanFileError> errors)
    {
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"{error.File}:{error.Line}:{error.Column}: error: {error.Message}");
        }

        var summary = $"{path} is not a valid plan file: {errors.Count} error(s)";
        if (context.Json)
        {
            context.WriteJson(new ConfigErrorOutput(summary, ExitCodes.PlanFileInvalid, errors));
        }

        Console.Error.WriteLine($"lifeboat: {summary}");
    }

    private static void Print(PlanFile plans, DateTimeOffset now)
    {
        Console.Out.WriteLine($"{plans.Path}: OK: {Count(plans.Plans.Count, "plan")}, {Count(plans.Repositories.Count, "repository", "repositories")}, "
            + $"{Count(plans.Sources.Count, "source")}, {Count(plans.Channels.Count, "channel")}");
        foreach (var plan in plans.Plans)
        {
            var copies = plan.Copies.Count > 0 ? $", copies to {string.Join(", ", plan.Copies)}" : "";
            var notify = plan.Notify.Count > 0 ? $", notifies {string.Join(", ", plan.Notify)}" : "";
            Console.Out.WriteLine();
            Console.Out.WriteLine($"plan {plan.Name}: source {plan.Source} to repository {plan.Repository}{copies}{notify}");
            foreach (var (kind, job) in plan.Jobs())
            {
                Console.Out.WriteLine($"  {kind,-6}  {Describe(job)}");
                var runs = job.NextRuns(plan.Name, now, RunsShown);
                foreach (var run in runs)
                {
                    var local = TimeZoneInfo.ConvertTime(run.Start, job.TimeZone);
                    Console.Out.WriteLine($"          {local.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)} {job.TimeZone.Id,-16} "
                        + $"{run.Start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC");
                }

                if (runs.Count == 0)
                {
                    Console.Out.WriteLine("          no run to come");
                }
            }
        }
    }

    private static string Describe(JobSchedule job)
    {
        var parts = new List<string> { job.Schedule.Text, $"time zone {job.TimeZone.Id}", $"missed: {Missed(job.Missed)}" };
        if (job.MaxDelay is { } delay)
        {
            parts.Add($"max delay {Units.FormatDuration(delay)}");
        }

        if (job.Jitter > TimeSpan.Zero)
        {
            parts.Add($"jitter up to {Units.FormatDuration(job.Jitter)}");
        }

        return string.Join(", ", parts);
    }

    internal static string Missed(MissedRunPolicy policy) => policy == MissedRunPolicy.Skip ? "skip" : "run_once";

    private static string Count(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";
}
