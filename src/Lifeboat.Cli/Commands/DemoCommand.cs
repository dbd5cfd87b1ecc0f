using System.CommandLine;
using Lifeboat.Operations.Demo;

namespace Lifeboat.Cli.Commands;

/// <summary><c>demo</c>: the whole round trip on a throw-away database, in a minute.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the demo's repository and database files afterwards" };
        var command = new Command("demo", "Back up a sample database, restore it, and prove the copy identical (needs PostgreSQL's server programs)") { keep };
        return command.WithAction(async context =>
        {
            var result = await new DemoRun(context.Quiet ? TextWriter.Null : Console.Error).RunAsync(context.Get(keep), context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(result);
            }

            return result.Identical && result.CheckOk ? ExitCodes.Ok : ExitCodes.Integrity;
        });
    }
}
