using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Operations.Drill;
using Lifeboat.Operations.Evidence;

namespace Lifeboat.Cli.Commands;

/// <summary><c>drill</c>: restore into a scratch database, prove it, measure RTO/RPO, keep the evidence.</summary>
internal static class DrillCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "A snapshot id (or its first digits), or 'latest' (the latest database snapshot)", DefaultValueFactory = _ => "latest" };
        var scratch = new Option<string?>("--scratch") { Description = "The scratch server: postgres://user@host:port/db (the drill creates and drops its own database there)", Required = true };
        var rto = new Option<string?>("--rto") { Description = "Recovery time objective, e.g. 2h: fail when start-to-verified takes longer" };
        var rpo = new Option<string?>("--rpo") { Description = "Recovery point objective, e.g. 1h: fail when the snapshot is older at the start" };
        var checks = new Option<string?>("--checks") { Description = "A YAML file of required tables and SQL assertions (see docs/proof.md)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the scratch database afterwards (it is dropped otherwise, also on failure)" };
        var jobs = DatabaseOptions.Jobs();
        var noOwner = new Option<bool>("--no-owner") { Description = "Objects belong to the restoring role (when the source's roles do not exist on the scratch server)" };
        var noPrivileges = new Option<bool>("--no-privileges") { Description = "Skip GRANT and REVOKE" };
        var evidenceDir = new Option<string?>("--evidence-dir") { Description = "Also write the evidence report here (.json and .md)" };
        var command = new Command("drill", "Restore a snapshot into a scratch database, check it, measure RTO/RPO and keep the evidence (exit 30 when it fails)")
        {
            snapshot, scratch, rto, rpo, checks, keep, jobs, noOwner, noPrivileges, evidenceDir, DatabaseOptions.PgBin,
        };
        return command.WithAction(async context =>
        {
            var request = new DrillRequest
            {
                Snapshot = context.Get(snapshot) ?? "latest",
                Scratch = DatabaseOptions.Connection(context.Get(scratch), "--scratch"),
                Rto = context.Get(rto) is { } r ? Durations.Parse(r, "--rto") : null,
                Rpo = context.Get(rpo) is { } p ? Durations.Parse(p, "--rpo") : null,
                Checks = context.Get(checks) is { } file ? await DrillChecksFile.LoadAsync(file, context.CancellationToken) : null,
                Keep = context.Get(keep),
                Jobs = DatabaseOptions.ValidJobs(context.Get(jobs)),
                NoOwner = context.Get(noOwner),
                NoPrivileges = context.Get(noPrivileges),
                PgBinDirectory = context.Get(DatabaseOptions.PgBin),
            };
            var progress = new LatestProgress<DrillProgress>();
            DrillResult result;
            await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { BytesExpected: { } expected } p
                ? $"drill: {p.Step}, {Progress.Transfer(p.BytesRead, expected, elapsed)}"
                : $"drill: {progress.Value?.Step ?? "starting"}"))
            {
                result = await new DrillRun(context.RepositoryOpener).RunAsync(request, progress, context.CancellationToken);
            }

            var files = context.Get(evidenceDir) is { } dir
                ? await EvidenceRecorder.WriteFilesAsync(result.Evidence, dir, context.CancellationToken)
                : [];
            if (context.Json)
            {
                context.WriteJson(new DrillOutput(result.Passed, result.Database, result.Kept, result.Evidence.Id, result.Evidence.Sha256, files, result.Report.Warnings, result.Report));
            }
            else if (!context.Quiet)
            {
                Describe(result, files);
            }

            return result.Passed ? ExitCodes.Ok : ExitCodes.DrillFailed;
        });
    }

    private static void Describe(DrillResult result, IReadOnlyList<string> files)
    {
        var report = result.Report;
        var output = Console.Out;
        output.WriteLine($"drill of snapshot {report.Snapshot?.Id[..8]} ({report.Snapshot?.Source}) into {result.Database}{(result.Kept ? " (kept)" : " (dropped)")}");
        foreach (var check in report.Checks)
        {
            var warned = check.Items.Where(i => i.Warning is not null).ToList();
            output.WriteLine($"  {(!check.Passed ? "FAIL" : warned.Count > 0 ? "warn" : "pass"),-4}  {check.Name,-20} {check.Summary}");
            foreach (var item in check.Items.Where(i => !i.Passed).Take(20))
            {
                output.WriteLine($"          {item.Subject}: expected {item.Expected}, found {item.Actual}{(item.Note is null ? "" : " (" + item.Note + ")")}");
            }

            foreach (var item in warned.Take(20))
            {
                output.WriteLine($"          warning: {item.Warning}");
            }
        }

        foreach (var o in report.Objectives)
        {
            var limit = o.LimitSeconds is { } l ? Durations.Format(TimeSpan.FromSeconds(l)) : "none";
            output.WriteLine($"  {(o.Passed ? "pass" : "FAIL"),-4}  {o.Name,-20} {Durations.Format(TimeSpan.FromSeconds(o.AchievedSeconds))} (objective {limit}): {o.Description}");
        }

        foreach (var note in report.Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        output.WriteLine($"evidence {result.Evidence.ShortId} saved (report sha256 {result.Evidence.Sha256}){(files.Count > 0 ? ", written to " + string.Join(" and ", files) : "")}");
        var warnings = report.Warnings.Count == 0 ? "" : $" ({report.Warnings.Count} warning(s) about the source: its state at the snapshot, restored exactly; they do not fail the drill)";
        output.WriteLine((result.Passed ? "drill PASSED" : "drill FAILED") + warnings);
    }
}
