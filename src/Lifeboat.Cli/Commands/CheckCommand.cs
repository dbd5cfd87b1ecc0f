using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Repository.Check;

namespace Lifeboat.Cli.Commands;

/// <summary><c>check</c>: verify structure, and optionally every byte.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var readData = new Option<bool>("--read-data") { Description = "Download and verify every pack (every byte authenticated)" };
        var subset = new Option<string?>("--read-data-subset") { Description = "Download and verify a random part of the packs, e.g. 10%" };
        var command = new Command("check", "Verify the repository: exit 0 only when every snapshot is restorable and the audit log and evidence are intact") { readData, subset };
        return command.WithAction(async context =>
        {
            var percent = context.Get(readData) ? 100 : ParsePercent(context.Get(subset));
            var repository = await context.OpenRepositoryAsync();
            var progress = new LatestProgress<CheckProgress>();
            var check = new RepositoryCheck(repository, progress);
            CheckReport report;
            await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { PacksToRead: > 0 } p
                ? $"check: {p.PacksRead}/{p.PacksToRead} packs, {Progress.Transfer(p.BytesRead, null, elapsed)}"
                : "check: reading index and snapshots"))
            {
                report = await check.RunAsync(new CheckOptions { ReadDataPercent = percent }, context.CancellationToken);
            }

            if (context.Json)
            {
                context.WriteJson(CheckOutput.Of(report));
            }
            else
            {
                foreach (var problem in report.Problems)
                {
                    var affected = problem.AffectedSnapshots.Count > 0 ? $" (affects snapshot(s) {string.Join(", ", problem.AffectedSnapshots)})" : "";
                    Console.Error.WriteLine($"error: {problem.Message}{affected}");
                }

                foreach (var note in report.Notes)
                {
                    context.Info($"note: {note}");
                }

                var read = report.PacksRead > 0 ? $", {report.PacksRead} pack(s) read ({Bytes.Format(report.BytesRead)})" : "";
                var verdict = report.Ok ? "no errors" : $"{report.Problems.Count} error(s)";
                context.Info($"checked {report.Snapshots} snapshot(s), {report.IndexFiles} index file(s), {report.Packs} pack(s){read}, " +
                    $"{report.AuditRecords} audit record(s), {report.EvidenceReports} evidence report(s): {verdict}");
            }

            return report.Ok ? ExitCodes.Ok : ExitCodes.Integrity;
        });
    }

    private static double ParsePercent(string? text)
    {
        if (text is null)
        {
            return 0;
        }

        var number = text.TrimEnd('%');
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 100
            ? value
            : throw new UsageException($"--read-data-subset '{text}' must be a percentage above 0 and at most 100, e.g. 10%");
    }
}
