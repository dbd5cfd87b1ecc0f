using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Repository;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Stats;

namespace Lifeboat.Cli.Commands;

/// <summary><c>prune</c> and <c>stats</c>.</summary>
internal static class PruneCommands
{
    public static Option<string> MaxUnusedOption() => new("--max-unused")
    {
        Description = "Unused data to tolerate, as a share of the used data: packs with the most unused data are repacked until the rest fits (0% repacks all; 'unlimited' only removes wholly unused packs)",
        DefaultValueFactory = _ => "5%",
    };

    public static Command Prune()
    {
        var maxUnused = MaxUnusedOption();
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Show what would be removed and repacked; change nothing" };
        var command = new Command("prune", "Remove data no snapshot references (takes the exclusive lock)") { maxUnused, dryRun };
        return command.WithAction(async context =>
        {
            var options = new PruneOptions { MaxUnused = PruneOptions.ParseMaxUnused(context.Get(maxUnused)!), DryRun = context.Get(dryRun) };
            var repository = await context.OpenRepositoryAsync();
            var progress = new LatestProgress<PruneProgress>();
            var operation = new PruneOperation(repository, progress);
            PruneReport report;
            await using (Progress.Start(context.ShowProgress, _ => Describe(progress.Value ?? new PruneProgress("starting"))))
            {
                report = await operation.RunAsync(options, context.CancellationToken);
            }

            if (context.Json)
            {
                context.WriteJson(report);
            }
            else
            {
                WriteReport(context, report);
            }

            return ExitCodes.Ok;
        });
    }

    public static Command Stats()
    {
        var command = new Command("stats", "Show stored size, size before dedup and compression, per-snapshot unique size, and garbage waiting for prune");
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var stats = await new RetentionQueries(repository).StatsAsync(context.CancellationToken);

            // a damaged snapshot is left out of the figures and named; exit 3 so a script notices
            var exit = stats.Damaged.Count > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
            if (context.Json)
            {
                context.WriteJson(stats);
                WriteDamaged(stats);
                return exit;
            }

            Console.Out.WriteLine($"snapshots:                 {stats.Snapshots}{(stats.Damaged.Count > 0 ? $" readable, {stats.Damaged.Count} DAMAGED (not counted)" : "")}");
            Console.Out.WriteLine($"stored (all objects):      {Bytes.Format(stats.TotalStoredBytes)}");
            Console.Out.WriteLine($"packs:                     {stats.Packs} ({Bytes.Format(stats.PackBytes)}), {stats.IndexFiles} index file(s)");
            Console.Out.WriteLine($"before dedup/compression:  {Bytes.Format(stats.SizeBeforeDedup)}");
            Console.Out.WriteLine($"used by snapshots:         {Bytes.Format(stats.UsedBytes)} (ratio {stats.Ratio:0.00}x)");
            Console.Out.WriteLine($"garbage waiting for prune: {Bytes.Format(stats.GarbageBytes)} ({Bytes.Format(stats.UnusedBlobBytes)} unused blobs, {stats.UnreferencedPacks} unreferenced pack(s) of {Bytes.Format(stats.UnreferencedPackBytes)})" +
                (stats.Damaged.Count > 0 ? ", including what only the damaged snapshot(s) use" : ""));
            if (stats.PerSnapshot.Count > 0)
            {
                Console.Out.WriteLine();
                Console.Out.WriteLine($"{"ID",-10} {"TIME (UTC)",-20} {"SIZE",10} {"UNIQUE",10}  SOURCE");
                foreach (var s in stats.PerSnapshot)
                {
                    Console.Out.WriteLine($"{s.Id[..8],-10} {s.Time.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {Bytes.Format(s.Size),10} {Bytes.Format(s.UniqueBytes),10}  {s.Source}");
                }
            }

            foreach (var d in stats.Damaged)
            {
                Console.Out.WriteLine($"{d.ShortId,-10} DAMAGED: {d.Error}");
            }

            WriteDamaged(stats);
            return exit;
        });
    }

    private static void WriteDamaged(RepositoryStatsReport stats)
    {
        if (stats.Damaged.Count > 0)
        {
            var names = DamagedSnapshot.Names(stats.Damaged);
            Console.Error.WriteLine($"error: {stats.Damaged.Count} snapshot(s) cannot be read and are not counted ({names}): " +
                "the data only they use shows as garbage (prune refuses to run while they are there), and data they share may show as unique to a readable snapshot. " +
                "They cannot be restored: " + DamagedSnapshot.Remedy(names));
        }
    }

    /// <summary>The progress line of a prune (also of the one after <c>forget --prune</c>).</summary>
    public static string Describe(PruneProgress progress) => progress.Phase switch
    {
        "repacking" => $"prune: repacking {progress.Done}/{progress.Total} packs",
        "removing packs" => $"prune: removing packs {progress.Done}/{progress.Total}",
        var phase => $"prune: {phase}",
    };

    public static void WriteReport(CliContext context, PruneReport r)
    {
        var would = r.DryRun ? "would " : "";
        context.Info($"prune: {r.Snapshots} snapshot(s) use {Bytes.Format(r.UsedBytes)}; {r.PacksBefore} pack(s), {r.IndexFilesBefore} index file(s); unused data {Bytes.Format(r.UnusedBytesBefore)}");
        if (r.NothingToDo && r.TemporaryFilesRemoved == 0)
        {
            context.Info("prune: nothing to remove");
            return;
        }

        context.Info($"prune: {would}remove {r.UnreferencedPacksDeleted} unreferenced and {r.UnusedPacksDeleted} unused pack(s), {would}repack {r.PacksRepacked} pack(s)" +
            (r.DryRun ? "" : $" into {r.PacksWritten} ({r.BlobsCopied} blobs, {Bytes.Format(r.BytesCopied)} copied)") +
            (r.MissingPacksDropped > 0 ? $"; {r.MissingPacksDropped} missing pack(s) dropped from the index" : ""));
        if (!r.DryRun)
        {
            context.Info($"prune: index rewritten: {r.IndexFilesWritten} file(s) written, {r.IndexFilesDeleted} removed; {r.TemporaryFilesRemoved} stale temporary file(s) removed");
        }

        context.Info($"prune: repository {Bytes.Format(r.RepositoryBytesBefore)} before, {(r.DryRun ? "about " : "")}{Bytes.Format(r.RepositoryBytesAfter)} after: " +
            $"{Bytes.Format(r.BytesFreed)} {(r.DryRun ? "would be " : "")}freed; unused data left {Bytes.Format(r.UnusedBytesAfter)}; {r.Seconds:0.0} s");
    }
}
