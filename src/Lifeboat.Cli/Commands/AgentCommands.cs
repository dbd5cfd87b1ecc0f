using System.CommandLine;
using System.Globalization;
using Lifeboat.Agent.Host;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;

namespace Lifeboat.Cli.Commands;

/// <summary>
/// <c>serve</c> (the agent), <c>plans</c> (every plan with its last run, result, next run and alerts) and <c>run PLAN</c>
/// (a backup now, through the serving agent, else in the foreground). docs/agent.md.
/// </summary>
internal static class AgentCommands
{
    /// <summary>The longest stop grace: System.CommandLine ends the process 3 minutes after SIGTERM (Program.cs).</summary>
    private static readonly TimeSpan MaxStopGrace = TimeSpan.FromMinutes(2);

    public static IEnumerable<Command> All() => [Serve(), Plans(), Run()];

    private static Option<string?> ConfigOption() => new("--config")
    {
        Description = $"The plan file. Default: ${ConfigCommand.ConfigVariable}, else ./lifeboat.yaml",
        HelpName = "FILE",
    };

    private static Option<string?> JournalOption() => new("--journal")
    {
        Description = "The run journal. Default: agent.journal of the plan file, else $XDG_STATE_HOME/lifeboat/journal.db (~/.local/state/lifeboat/journal.db)",
        HelpName = "FILE",
    };

    private static Command Serve()
    {
        var config = ConfigOption();
        var journal = JournalOption();
        var listen = new Option<string?>("--listen") { Description = $"Where /metrics, /healthz and the API listen. Default: agent.listen of the plan file, else {ListenAddress.Default}", HelpName = "HOST:PORT" };
        var grace = new Option<string?>("--stop-grace") { Description = "On SIGTERM, how long running jobs may go on before they are cancelled (nothing half committed). Default 30s, at most 2m", HelpName = "DURATION" };
        var command = new Command("serve", "Run the plan file: backups, copies, checks, drills and prunes on their schedules, with alerts, metrics and health") { config, journal, listen, grace };
        return command.WithAction(async context =>
        {
            if (await ConfigCommand.LoadAsync(context, context.Get(config)) is not { } file)
            {
                return ExitCodes.PlanFileInvalid;
            }

            var options = new AgentOptions(
                JournalLocation.Resolve(file, context.Get(journal), Environment.GetEnvironmentVariable),
                ParseListen(context.Get(listen) ?? file.Agent.Listen),
                ParseGrace(context.Get(grace)),
                ProgramInfo.Version);
            var log = new TextAgentLog(Console.Error, TimeProvider.System, context.Json);
            var jobs = Jobs(context, line => log.Write(LogLevel.Info, null, line));
            await using var agent = await AgentHost.StartAsync(file, options, jobs, Environment.GetEnvironmentVariable, log, TimeProvider.System, context.CancellationToken);
            await AgentHosting.RunAsync(agent, options.StopGrace, context.CancellationToken);
            return ExitCodes.Ok;
        });
    }

    private static Command Plans()
    {
        var config = ConfigOption();
        var journal = JournalOption();
        var command = new Command("plans", "Every plan of the plan file: its last run and result, its next run, and its alerts") { config, journal };
        return command.WithAction(async context =>
        {
            if (await ConfigCommand.LoadAsync(context, context.Get(config)) is not { } file)
            {
                return ExitCodes.PlanFileInvalid;
            }

            var path = JournalLocation.Resolve(file, context.Get(journal), Environment.GetEnvironmentVariable);
            using var agent = AgentClient.Find(path);
            var view = agent is not null
                ? await agent.PlansAsync(context.CancellationToken)
                : await Standalone.PlansAsync(file, path, TimeProvider.System, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(view);
            }
            else
            {
                PlansOutput.Print(view, agent?.State);
            }

            return ExitCodes.Ok;
        });
    }

    private static Command Run()
    {
        var plan = new Argument<string>("PLAN") { Description = "The plan whose backup runs now (its copies and retention follow)" };
        var config = ConfigOption();
        var journal = JournalOption();
        var tags = new Option<string[]>("--tag") { Description = "A tag for the snapshot, beside the plan's own (repeatable), e.g. pre-migration", AllowMultipleArgumentsPerToken = false };
        var holdUntil = new Option<string?>("--hold-until") { Description = "Hold the new snapshot until a date (2026-12-31), a date and time, a duration from now (30d), or 'forever'", HelpName = "WHEN" };
        var reason = new Option<string?>("--reason") { Description = "Why the hold is placed (default: 'lifeboat run PLAN')" };
        var wait = new Option<bool>("--wait") { Description = "Through the agent: wait for the run to end and exit with its result (in the foreground it always waits)" };
        var foreground = new Option<bool>("--foreground") { Description = "Run in this process even when an agent serves the plan file" };
        var command = new Command("run", "Back up a plan now: through the agent serving the plan file (one queue, one journal), else in the foreground")
        {
            plan, config, journal, tags, holdUntil, reason, wait, foreground,
        };
        return command.WithAction(async context =>
        {
            if (await ConfigCommand.LoadAsync(context, context.Get(config)) is not { } file)
            {
                return ExitCodes.PlanFileInvalid;
            }

            var name = context.Get(plan)!;
            if (file.Plans.All(p => p.Name != name))
            {
                throw new UsageException($"no plan '{name}' in {file.Path}: the plans are {string.Join(", ", file.Plans.Select(p => p.Name))}");
            }

            var until = context.Get(holdUntil) is { } text ? RetentionCommands.ParseUntil(text, DateTimeOffset.UtcNow) ?? DateTimeOffset.MaxValue : (DateTimeOffset?)null;
            var request = new RunRequest(
                context.Get(tags) ?? [], until, until is null ? null : context.Get(reason) ?? $"lifeboat run {name}", context.Get(wait));
            var path = JournalLocation.Resolve(file, context.Get(journal), Environment.GetEnvironmentVariable);
            using var agent = context.Get(foreground) ? null : AgentClient.Find(path);
            RunAnswer answer;
            Exception? error = null;
            if (agent is not null)
            {
                context.Info($"asking the agent serving {agent.State.PlanFile} (pid {agent.State.Pid}) to back up plan {name}{(request.Wait ? " and waiting for the run" : "")}");
                try
                {
                    answer = await agent.RunAsync(name, request, context.CancellationToken);
                }
                catch (KeyNotFoundException e)
                {
                    throw new UsageException($"{e.Message} (the agent has not reloaded the plan file yet: it does within seconds of a change, or on SIGHUP)");
                }
            }
            else
            {
                context.Info($"no agent serves {file.Path}: backing up plan {name} in the foreground");
                var run = await Standalone.RunAsync(file, name, request with { Wait = true }, Jobs(context, context.Info), path, context.Quiet ? TextWriter.Null : Console.Error, TimeProvider.System, context.CancellationToken);
                (answer, error) = (run.Answer, run.Error);
            }

            if (context.Json)
            {
                context.WriteJson(answer);
            }
            else
            {
                Console.Out.WriteLine(Describe(answer));
            }

            return answer.Result switch
            {
                "succeeded" or "queued" => ExitCodes.Ok,
                "cancelled" => ExitCodes.Interrupted,
                _ => error is not null ? ExitCodes.For(error) : ExitCodes.Failed,
            };
        });
    }

    private static string Describe(RunAnswer answer) => answer.Result switch
    {
        "queued" => $"{answer.Plan}: queued by the agent (see 'lifeboat plans' or the agent's log for its result)",
        "succeeded" => $"{answer.Plan}: backup succeeded: {answer.Summary}{string.Concat(answer.Warnings.Select(w => $"\nwarning: {w}"))}",
        _ => $"{answer.Plan}: backup {answer.Result}: {answer.Run?.Error ?? answer.Summary}",
    };

    /// <summary>
    /// The job bodies, with repositories opened as <c>--repo</c> opens them (the storage options of this command line);
    /// the repositories' notices go to <paramref name="notice"/> (the agent's log).
    /// </summary>
    private static PlanJobs Jobs(CliContext context, Action<string> notice) =>
        new(new PlanRepositories(context.StorageSettings, context.RepositoryContext with { Notice = notice }), new PlanJobsOptions { Connections = context.Connections });

    private static System.Net.IPEndPoint ParseListen(string text)
    {
        try
        {
            return ListenAddress.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static TimeSpan ParseGrace(string? text)
    {
        if (text is null)
        {
            return TimeSpan.FromSeconds(30);
        }

        if (Units.ParseDuration(text) is not { } grace || grace > MaxStopGrace)
        {
            throw new UsageException($"--stop-grace '{text}' is not a duration from 0s to {Units.FormatDuration(MaxStopGrace)} (e.g. 30s, 1m30s)");
        }

        return grace;
    }
}

/// <summary>The text of <c>lifeboat plans</c>.</summary>
internal static class PlansOutput
{
    public static void Print(PlansView view, AgentStateFile? agent)
    {
        Console.Out.WriteLine(agent is not null
            ? $"{view.File}: served by the agent (pid {agent.Pid}, since {Time(agent.StartedAt)}, {agent.Url})"
            : $"{view.File}: no agent serves it: last runs from the journal, next runs as the schedules say");
        foreach (var plan in view.Plans)
        {
            var state = plan.Overdue ? "OVERDUE" : plan.Alerts.Count > 0 ? "ALERT" : "ok";
            Console.Out.WriteLine();
            Console.Out.WriteLine($"{plan.Plan} ({plan.Source} -> {plan.Repository}): {state}");
            foreach (var job in plan.Jobs)
            {
                var last = job.LastRun is { } run ? $"last {run.Result} {Time(run.EndedAt ?? run.StartedAt)}" : "never ran";
                var next = job.NextRun is { } n ? $", next {Time(n)}" : "";
                var schedule = job.Schedule is { } s ? $" [{s}]" : " [after each backup]";
                Console.Out.WriteLine($"  {job.Kind,-7}{schedule}: {last}{next}{(job.Now is { } now ? $"; {now}" : "")}");
                if (job.LastRun is { Error: { } error } && job.LastRun.Result != "succeeded")
                {
                    Console.Out.WriteLine($"           error: {error}");
                }
            }

            Console.Out.WriteLine($"  fresh:  {plan.Freshness}");
            foreach (var alert in plan.Alerts)
            {
                Console.Out.WriteLine($"  alert:  {alert.Condition} {alert.Status} since {Time(alert.Since)}{(alert.Detail is { } d ? $": {d}" : "")}");
            }
        }
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
