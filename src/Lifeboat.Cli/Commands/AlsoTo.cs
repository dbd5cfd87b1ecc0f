using System.CommandLine;
using Lifeboat.Operations;

namespace Lifeboat.Cli.Commands;

/// <summary>
/// <c>backup --also-to REPO</c>: further repositories a backup is copied to after it is committed in
/// the first one (the backup opens and copies, <see cref="SnapshotCopies"/>). Here: the options, their
/// usage checks, and the report: each copy as <c>copy</c> prints it, a repository that failed named on
/// stderr, and the exit code of the first that failed.
/// </summary>
internal static class AlsoTo
{
    public static readonly Option<string[]> Option = new("--also-to")
    {
        Description = "Also copy the new snapshot to this repository (repeatable); see 'lifeboat copy'",
    };

    public static readonly Option<string[]> PasswordFileOption = new("--also-to-password-file")
    {
        Description = "Password file of the --also-to repository (once: for all of them; or once per --also-to, in order). Default: the repository password",
    };

    /// <summary>An opener per --also-to repository, its password read now; usage errors thrown.</summary>
    public static IReadOnlyList<IRepositoryOpener> Openers(CliContext context)
    {
        var locations = context.Get(Option) ?? [];
        var passwordFiles = context.Get(PasswordFileOption) ?? [];
        if (passwordFiles.Length > 1 && passwordFiles.Length != locations.Length)
        {
            throw new UsageException(
                $"give --also-to-password-file once (for every --also-to) or once per --also-to ({locations.Length}), not {passwordFiles.Length} times");
        }

        var openers = new List<IRepositoryOpener>();
        for (var i = 0; i < locations.Length; i++)
        {
            var file = passwordFiles.Length == 0 ? null : passwordFiles[Math.Min(i, passwordFiles.Length - 1)];
            var password = file is null ? context.Password : PasswordSource.GetOther(file, "--also-to-password-file", "", () => context.Password);
            openers.Add(context.OpenerFor(locations[i], () => password));
        }

        return openers;
    }

    /// <summary>Copies the new snapshot to every other repository (with progress); returns the outcomes and the exit code.</summary>
    public static async Task<(IReadOnlyList<CopyOutcome> Copies, int ExitCode)> CopyAsync(CliContext context, SnapshotCopies copies)
    {
        var copying = new LatestProgress<CopyProgress>();
        string? shown = null;
        var since = TimeSpan.Zero;
        IReadOnlyList<SnapshotCopyOutcome> outcomes;
        await using (Progress.Start(context.ShowProgress, elapsed =>
        {
            // each copy's rate counts from its own start, as when each had its own line
            if (copying.Value is not { } copy)
            {
                return "copy: starting";
            }

            if (copy.Target != shown)
            {
                (shown, since) = (copy.Target, elapsed);
            }

            return CopyCommand.Render(copy, elapsed - since);
        }))
        {
            outcomes = await copies.RunAsync(CopyCommand.Options(context, []), copying, context.CancellationToken);
        }

        var reported = new List<CopyOutcome>();
        var exitCode = ExitCodes.Ok;
        foreach (var outcome in outcomes)
        {
            if (outcome.Result is { } result)
            {
                CopyCommand.Report(context, result);
            }

            if (outcome.Failure is not { } failure)
            {
                reported.Add(new CopyOutcome(outcome.Location, true, Snapshot: outcome.Snapshot));
                continue;
            }

            var code = ExitCodes.For(failure);
            exitCode = exitCode == ExitCodes.Ok ? code : exitCode;
            reported.Add(new CopyOutcome(outcome.Location, false, Error: outcome.Message, ExitCode: code));
            Console.Error.WriteLine($"lifeboat: {outcome.Message}");
        }

        return (reported, exitCode);
    }
}
