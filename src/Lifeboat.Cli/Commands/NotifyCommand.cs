using System.CommandLine;
using Lifeboat.Agent.Notifications;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Cli.Commands;

/// <summary>
/// <c>notify test [CHANNEL] [--config FILE]</c>: sends a test message through the plan file's channels (or the one
/// named), with the agent's retries, and reports each channel. Nothing is journaled: no agent is running.
/// </summary>
internal static class NotifyCommand
{
    public static Command Create()
    {
        var channel = new Argument<string?>("CHANNEL")
        {
            Description = "The channel to test, by its name in the plan file. Default: every channel",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var config = new Option<string?>("--config")
        {
            Description = $"The plan file. Default: ${ConfigCommand.ConfigVariable}, else ./lifeboat.yaml",
            HelpName = "FILE",
        };
        var test = new Command("test", "Send a test message through each channel of the plan file (or CHANNEL) and report each") { channel, config };
        var notify = new Command("notify", "The plan file's notification channels (docs/agent.md)");
        notify.Subcommands.Add(test.WithAction(async context =>
        {
            if (await ConfigCommand.LoadAsync(context, context.Get(config)) is not { } plans)
            {
                return ExitCodes.PlanFileInvalid;
            }

            var channels = Selected(plans, context.Get(channel));
            var host = Environment.MachineName;
            if (!context.Quiet)
            {
                Console.Error.WriteLine($"sending a test message from {host} through {Count(channels.Count)} of {plans.Path}");
            }

            var results = await NotificationTest.SendAsync(plans, channels, host, Environment.GetEnvironmentVariable, context.CancellationToken);
            var failed = results.Count(r => !r.Delivered);
            var code = failed == 0 ? ExitCodes.Ok : ExitCodes.NotificationFailed;
            if (context.Json)
            {
                context.WriteJson(new NotifyTestOutput(plans.Path, host, code, results));
            }
            else
            {
                foreach (var result in results)
                {
                    Console.Out.WriteLine($"{result.Name} ({result.Type}): {(result.Delivered ? "delivered" : $"FAILED: {result.Error}")}");
                }
            }

            if (failed > 0)
            {
                Console.Error.WriteLine($"lifeboat: {failed} of {Count(results.Count)} did not take the test message");
            }

            return code;
        }));
        return notify;
    }

    /// <summary>Every channel, or the one named; an unknown name (or a file without channels) is a usage error naming those there are.</summary>
    private static IReadOnlyList<ChannelSettings> Selected(PlanFile plans, string? name)
    {
        if (plans.Channels.Count == 0)
        {
            throw new UsageException($"{plans.Path} has no channels (docs/agent.md, channels:)");
        }

        if (name is null)
        {
            return plans.Channels;
        }

        return plans.Channels.Where(c => c.Name == name).ToArray() is { Length: > 0 } named
            ? named
            : throw new UsageException($"no channel '{name}' in {plans.Path} (channels: {string.Join(", ", plans.Channels.Select(c => c.Name))})");
    }

    private static string Count(int n) => n == 1 ? "1 channel" : $"{n} channels";
}
