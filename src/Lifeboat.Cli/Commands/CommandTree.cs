using System.CommandLine;
using Lifeboat.Postgres;

namespace Lifeboat.Cli.Commands;

/// <summary>Every top-level command, and the runner that maps failures to exit codes.</summary>
internal static class CommandTree
{
    public static IEnumerable<Command> All() =>
    [
        RepositoryCommands.Init(),
        RepositoryCommands.Key(),
        BackupCommand.Create(),
        SnapshotCommands.List(),
        SnapshotCommands.Ls(),
        SnapshotCommands.Dump(),
        RestoreCommand.Create(),
        FollowCommand.Create(),
        SubjectCommands.Create(),
        DemoCommand.Create(),
        CheckCommand.Create(),
        CopyCommand.Create(),
        RepositoryCommands.Unlock(),
        DrillCommand.Create(),
        ProofCommands.Evidence(),
        ProofCommands.Audit(),
        ProofCommands.Status(),
        ProofCommands.Report(),
        .. RetentionCommands.All(),
        ConfigCommand.Create(),
        NotifyCommand.Create(),
        .. AgentCommands.All(),
    ];

    /// <summary>Sets a command's action: runs it, turns every failure into a message and an exit code.</summary>
    public static Command WithAction(this Command command, Func<CliContext, Task<int>> action)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var context = new CliContext(parseResult, cancellationToken);
            try
            {
                return await action(context);
            }
            catch (Exception e)
            {
                return Report(context, e);
            }
        });
        return command;
    }

    private static int Report(CliContext context, Exception exception)
    {
        var code = ExitCodes.For(exception);
        var abandoned = exception as RestoreAbandonedException;
        var cause = abandoned?.InnerException ?? exception;
        var message = (code, abandoned) switch
        {
            // a failed restore says what it left behind, whatever the cause
            (ExitCodes.Interrupted, { } r) => $"interrupted. {r.Aftermath.Summary}",
            (ExitCodes.Failed, { } r) => $"unexpected error: {cause.GetType().Name}: {r.Message}",
            (_, { } r) => r.Message,
            (ExitCodes.Interrupted, null) => context.ParseResult.CommandResult.Command.Name is "backup" or "copy"
                ? "interrupted: nothing was committed; data already uploaded is reused by the next backup or removed by prune"
                : "interrupted: nothing was committed",
            (ExitCodes.Failed, null) => $"unexpected error: {exception.GetType().Name}: {exception.Message}",
            _ => exception.Message,
        };
        if (context.Json)
        {
            context.WriteJson(new ErrorOutput(message, code, abandoned?.Aftermath));
        }

        Console.Error.WriteLine($"lifeboat: {message}");
        if (code == ExitCodes.Failed && Environment.GetEnvironmentVariable("LIFEBOAT_DEBUG") == "1")
        {
            Console.Error.WriteLine(exception.ToString());
        }

        return code;
    }
}
