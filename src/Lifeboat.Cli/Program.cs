using System.CommandLine;
using Lifeboat.Cli;
using Lifeboat.Cli.Commands;

var root = new RootCommand("Lifeboat: verified, encrypted, deduplicated backups of PostgreSQL and any other stream.")
{
    CliContext.RepoOption,
    CliContext.PasswordFileOption,
    CliContext.ConnectionsOption,
    CliContext.LimitUploadOption,
    CliContext.LimitDownloadOption,
    CliContext.StorageOptionOption,
    CliContext.JsonOption,
    CliContext.QuietOption,
};
foreach (var command in CommandTree.All())
{
    root.Subcommands.Add(command);
}

var parseResult = root.Parse(args);
if (ParseErrors.UnknownCommand(parseResult, root) is { } unknown)
{
    Console.Error.WriteLine($"lifeboat: {ParseErrors.DescribeUnknown(unknown, root)}");
    return ExitCodes.Usage;
}

if (parseResult.Errors.Count > 0)
{
    foreach (var error in parseResult.Errors)
    {
        Console.Error.WriteLine($"lifeboat: {ParseErrors.Describe(error.Message)}");
    }

    // the whole command path ("subject restore"), not only its last word
    var path = new List<string>();
    for (var result = parseResult.CommandResult; result is not null && result.Command != root; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        path.Insert(0, result.Command.Name);
    Console.Error.WriteLine($"Run 'lifeboat {string.Join(' ', [.. path, "--help"])}' for usage.");
    return ExitCodes.Usage;
}

// Ctrl-C and SIGTERM cancel the command, which then cleans up (a failed restore drops the database it
// created, a backup releases its lock): give that time instead of the default 2 s before the process is ended.
return await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromMinutes(3) });
