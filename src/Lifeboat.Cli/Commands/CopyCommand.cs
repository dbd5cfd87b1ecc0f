using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Cli.Commands;

/// <summary>
/// <c>copy --from SOURCE [--to TARGET] [SNAPSHOT...]</c>: replicates snapshots into another
/// repository (the target defaults to <c>--repo</c>/<c>LIFEBOAT_REPO</c> and opens with the usual
/// password; the source opens with <c>--from-password-file</c>, <c>LIFEBOAT_FROM_PASSWORD</c>, or
/// else the same password).
/// </summary>
internal static class CopyCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The repository to copy from", Required = true };
        var to = new Option<string?>("--to") { Description = $"The repository to copy to. Default: --repo, else ${StorageFactory.RepositoryVariable}" };
        var fromPasswordFile = new Option<string?>("--from-password-file")
        {
            Description = $"Read the source's password from this file. Default: ${PasswordSource.FromPasswordVariable}, else the target's password",
        };
        var snapshots = new Argument<string[]>("SNAPSHOT")
        {
            Description = "Snapshots to copy (ids, prefixes or 'latest'); default: all",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("copy", "Copy snapshots to another repository (only data it lacks is uploaded; reruns skip what was copied)")
        {
            from, to, fromPasswordFile, snapshots,
        };
        return command.WithAction(async context =>
        {
            var targetLocation = context.Get(to) is { Length: > 0 } explicitTarget ? explicitTarget : context.Location;
            var sourceLocation = context.Get(from)!;
            var sourcePassword = PasswordSource.GetOther(
                context.Get(fromPasswordFile), "--from-password-file", PasswordSource.FromPasswordVariable, () => context.Password);
            var source = await context.OpenRepositoryAsync(sourceLocation, sourcePassword);
            var target = await context.OpenRepositoryAsync(targetLocation, context.Password);
            var result = await RunAsync(context, source, target, context.Get(snapshots) ?? []);
            if (context.Json)
            {
                context.WriteJson(CopyOutput.Of(result));
            }

            // the readable snapshots are copied and committed; a damaged one on either side makes the exit 3
            return result.Damaged.Count + result.TargetDamaged.Count > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
        });
    }

    /// <summary>Copies (with progress and one line per snapshot) and returns the result.</summary>
    private static async Task<CopyResult> RunAsync(
        CliContext context, BackupRepository source, BackupRepository target, IReadOnlyList<string> snapshots)
    {
        var progress = new LatestProgress<CopyProgress>();
        var copy = new RepositoryCopy(source, target, Options(context, snapshots), progress);
        CopyResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { } p ? Render(p, elapsed) : "copy: reading the snapshots"))
        {
            result = await copy.RunAsync(context.CancellationToken);
        }

        Report(context, result);
        return result;
    }

    /// <summary>How a copy runs with the global options (connections).</summary>
    internal static CopyOptions Options(CliContext context, IReadOnlyList<string> snapshots) => new()
    {
        Snapshots = snapshots,
        ReadAhead = Math.Max(4, context.Connections * 2),
        Writer = new BackupWriterOptions { UploadConcurrency = context.Connections },
    };

    /// <summary>The progress line of a running copy.</summary>
    internal static string Render(CopyProgress copy, TimeSpan elapsed) =>
        $"copy: snapshot {Math.Min(copy.SnapshotsDone + 1, Math.Max(1, copy.SnapshotsTotal))}/{copy.SnapshotsTotal}, {Progress.Transfer(copy.BytesRead, null, elapsed)} read";

    /// <summary>One line per snapshot copied or skipped, the totals, and the damaged snapshots.</summary>
    internal static void Report(CliContext context, CopyResult result)
    {
        foreach (var s in result.Snapshots)
        {
            context.Info(s.Skipped
                ? $"skipped {s.Source[..8]}: {result.To} has it already (as {s.Target[..8]})"
                : $"copied {s.Source[..8]} -> {s.Target[..8]} ({s.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss}): {Bytes.Format(s.BytesRead)} read, " +
                  $"{Bytes.Format(s.BytesReused)} already there, {Bytes.Format(s.NewBytes)} new ({Bytes.Format(s.StoredBytes)} uploaded), {s.Seconds:0.0} s");
        }

        context.Info($"{result.Copied} snapshot(s) copied, {result.SkippedCount} skipped" +
            (result.Damaged.Count > 0 ? $", {result.Damaged.Count} damaged not copied" : "") + $", from {result.From} to {result.To}: " +
            $"{Bytes.Format(result.BytesRead)} read, {Bytes.Format(result.NewBytes)} new, {Bytes.Format(result.StoredBytes)} uploaded in {result.Seconds:0.0} s");
        WriteDamaged(result);
    }

    /// <summary>Names the damaged snapshots of either side (always, also with --json or --quiet), and what to do.</summary>
    private static void WriteDamaged(CopyResult result)
    {
        foreach (var d in result.Damaged)
        {
            Console.Error.WriteLine($"error: snapshot {d.ShortId} of {result.From} cannot be read and was not copied: {d.Error}");
        }

        if (result.Damaged.Count > 0)
        {
            var names = DamagedSnapshot.Names(result.Damaged);
            Console.Error.WriteLine($"error: {result.Damaged.Count} snapshot(s) of {result.From} cannot be read, so cannot be copied or restored; the readable ones were copied: " +
                DamagedSnapshot.Remedy(names, result.From));
        }

        foreach (var d in result.TargetDamaged)
        {
            Console.Error.WriteLine($"error: snapshot {d.ShortId} of {result.To} cannot be read: {d.Error}");
        }

        if (result.TargetDamaged.Count > 0)
        {
            var names = DamagedSnapshot.Names(result.TargetDamaged);
            Console.Error.WriteLine($"error: {result.TargetDamaged.Count} snapshot(s) of {result.To} cannot be read, so which snapshot each is a copy of is unknown: " +
                $"every snapshot with no readable copy there was copied (again). Run 'lifeboat --repo {result.To} check', then 'lifeboat --repo {result.To} forget {names}' to remove them");
        }
    }

}
