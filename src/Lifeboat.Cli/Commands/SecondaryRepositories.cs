using System.CommandLine;
using Lifeboat.Repository;

namespace Lifeboat.Cli.Commands;

/// <summary>
/// <c>backup --also-to REPO</c>: further repositories a backup is copied to after it is committed
/// in the first one. Each is opened before the backup starts (so a wrong password shows early) but
/// a failure there never stops the backup: the snapshot is saved in the first repository, then
/// copied to each other one, and a repository that failed is named with a non-zero exit.
/// </summary>
internal sealed class SecondaryRepositories
{
    public static readonly Option<string[]> AlsoToOption = new("--also-to")
    {
        Description = "Also copy the new snapshot to this repository (repeatable); see 'lifeboat copy'",
    };

    public static readonly Option<string[]> AlsoToPasswordFileOption = new("--also-to-password-file")
    {
        Description = "Password file of the --also-to repository (once: for all of them; or once per --also-to, in order). Default: the repository password",
    };

    private readonly List<Target> _targets;

    private SecondaryRepositories(List<Target> targets) => _targets = targets;

    public bool Any => _targets.Count > 0;

    /// <summary>Opens every --also-to repository; failures are kept for the report, usage errors thrown.</summary>
    public static async Task<SecondaryRepositories> OpenAsync(CliContext context)
    {
        var locations = context.Get(AlsoToOption) ?? [];
        var passwordFiles = context.Get(AlsoToPasswordFileOption) ?? [];
        if (passwordFiles.Length > 1 && passwordFiles.Length != locations.Length)
        {
            throw new UsageException(
                $"give --also-to-password-file once (for every --also-to) or once per --also-to ({locations.Length}), not {passwordFiles.Length} times");
        }

        var targets = new List<Target>();
        for (var i = 0; i < locations.Length; i++)
        {
            var file = passwordFiles.Length == 0 ? null : passwordFiles[Math.Min(i, passwordFiles.Length - 1)];
            var password = file is null ? context.Password : PasswordSource.GetOther(file, "--also-to-password-file", "", () => context.Password);
            try
            {
                targets.Add(new Target(locations[i], await context.OpenRepositoryAsync(locations[i], password), null));
            }
            catch (Exception e) when (e is not OperationCanceledException and not UsageException)
            {
                targets.Add(new Target(locations[i], null, e));
            }
        }

        return new SecondaryRepositories(targets);
    }

    /// <summary>Copies the new snapshot to every other repository; returns the outcomes and the exit code.</summary>
    public async Task<(IReadOnlyList<CopyOutcome> Copies, int ExitCode)> CopyAsync(CliContext context, BackupRepository primary, SnapshotRecord record)
    {
        var copies = new List<CopyOutcome>();
        var exitCode = ExitCodes.Ok;
        foreach (var target in _targets)
        {
            var failure = target.OpenError;
            string? copyId = null;
            if (target.Repository is { } repository)
            {
                try
                {
                    // a damaged snapshot in the other repository is named by RunAsync; it does not stop this copy
                    var result = await CopyCommand.RunAsync(context, primary, repository, [record.Id.ToString()]);
                    copyId = result.Snapshots.Count > 0
                        ? result.Snapshots[0].Target
                        : throw new IntegrityException($"snapshot {record.ShortId} cannot be read back from {primary.Storage.Location}: {result.Damaged[0].Error}");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failure = e;
                }
            }

            if (failure is null)
            {
                copies.Add(new CopyOutcome(target.Location, true, Snapshot: copyId));
                continue;
            }

            var code = ExitCodes.For(failure);
            exitCode = exitCode == ExitCodes.Ok ? code : exitCode;
            var message = $"snapshot {record.ShortId} is saved in {primary.Storage.Location}, but copying it to {target.Location} failed: {failure.Message}";
            copies.Add(new CopyOutcome(target.Location, false, Error: message, ExitCode: code));
            Console.Error.WriteLine($"lifeboat: {message}");
        }

        return (copies, exitCode);
    }

    private sealed record Target(string Location, BackupRepository? Repository, Exception? OpenError);
}
