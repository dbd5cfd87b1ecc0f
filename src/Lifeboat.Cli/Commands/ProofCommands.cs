using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Operations.Evidence;
using Lifeboat.Operations.Report;
using Lifeboat.Operations.Status;
using Lifeboat.Repository;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Evidence;

namespace Lifeboat.Cli.Commands;

/// <summary><c>evidence list|show|export</c>, <c>audit</c>, <c>status</c> and <c>report</c>.</summary>
internal static class ProofCommands
{
    public static Command Evidence()
    {
        var evidence = new Command("evidence", "List, show and export the evidence reports of backups, checks and drills");
        evidence.Subcommands.Add(EvidenceList());
        evidence.Subcommands.Add(EvidenceShow());
        evidence.Subcommands.Add(EvidenceExport());
        return evidence;
    }

    private static Command EvidenceList()
    {
        var kind = new Option<string?>("--kind") { Description = "Only reports of this kind: backup, check or drill" };
        var list = new Command("list", "List the evidence reports, oldest first") { kind };
        return list.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var damaged = new List<IntegrityException>();
            var entries = (await EvidenceStore.LoadAllAsync(repository, damaged, context.CancellationToken))
                .Where(e => context.Get(kind) is not { } k || e.Envelope.Kind == k).ToList();
            if (context.Json)
            {
                IReadOnlyList<EvidenceListItem> items =
                [
                    .. entries.Select(e => new EvidenceListItem(
                        e.Id.ToString(), e.Envelope.Created, e.Envelope.Kind, e.Envelope.Passed, e.Envelope.Snapshot, e.Envelope.Source, e.Envelope.Sha256)),
                ];
                context.WriteJson(items);
            }
            else
            {
                Console.Out.WriteLine($"{"ID",-10} {"TIME",-20} {"KIND",-7} {"RESULT",-7} {"SNAPSHOT",-9} {"SOURCE",-30} REPORT SHA-256");
                foreach (var e in entries)
                {
                    var v = e.Envelope;
                    Console.Out.WriteLine($"{e.ShortId,-10} {v.Created.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {v.Kind,-7} {(v.Passed ? "passed" : "FAILED"),-7} {v.Snapshot?[..8],-9} {Clip(v.Source ?? "", 30),-30} {v.Sha256}");
                }

                context.Info($"{entries.Count} report(s)");
            }

            foreach (var e in damaged)
            {
                Console.Error.WriteLine($"error: {e.Message}");
            }

            return damaged.Count == 0 ? ExitCodes.Ok : ExitCodes.Integrity;
        });
    }

    private static Command EvidenceShow()
    {
        var id = new Argument<string>("ID") { Description = "An evidence id (or its first digits), or 'latest'" };
        var format = new Option<string>("--format") { Description = "md (for people) or json (the report body, exactly as hashed)", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json");
        var show = new Command("show", "Print an evidence report (verified against its SHA-256)") { id, format };
        return show.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var saved = EvidenceRecorder.FromEntry(await EvidenceStore.FindAsync(repository, context.Get(id)!, context.CancellationToken));
            if (context.Json || context.Get(format) == "json")
            {
                await using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(saved.Body, context.CancellationToken);
            }
            else
            {
                Console.Out.Write(EvidenceMarkdown.Render(saved.Report, saved.Sha256, saved.Id));
            }

            return ExitCodes.Ok;
        });
    }

    private static Command EvidenceExport()
    {
        var ids = new Argument<string[]>("ID") { Description = "Evidence ids (or first digits); all reports when none is given", Arity = ArgumentArity.ZeroOrMore };
        var dir = new Option<string>("--dir") { Description = "Directory to write <time>-<kind>-<id>.json and .md into", Required = true };
        var export = new Command("export", "Write evidence reports as files (.json, byte for byte as hashed, and .md)") { ids, dir };
        return export.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var wanted = context.Get(ids) ?? [];
            var damaged = new List<IntegrityException>();
            var entries = wanted.Length == 0
                ? await EvidenceStore.LoadAllAsync(repository, damaged, context.CancellationToken)
                : [.. await Task.WhenAll(wanted.Select(w => EvidenceStore.FindAsync(repository, w, context.CancellationToken)))];
            var written = new List<string>();
            foreach (var entry in entries)
            {
                written.AddRange(await EvidenceRecorder.WriteFilesAsync(EvidenceRecorder.FromEntry(entry), context.Get(dir)!, context.CancellationToken));
            }

            if (context.Json)
            {
                context.WriteJson(new FilesOutput(written));
            }
            else
            {
                context.Info($"wrote {written.Count} file(s) for {entries.Count} report(s) to {context.Get(dir)}");
            }

            // every readable report is exported; one that cannot be read is named, and the export exits 3
            foreach (var e in damaged)
            {
                Console.Error.WriteLine($"error: not exported: {e.Message}");
            }

            return damaged.Count == 0 ? ExitCodes.Ok : ExitCodes.Integrity;
        });
    }

    public static Command Audit()
    {
        var since = new Option<string?>("--since") { Description = "Only records of this recent period, e.g. 7d" };
        var verify = new Option<bool>("--verify") { Description = "Prove the chain unbroken: report every deleted, reordered or edited record (exit 3 if any)" };
        var command = new Command("audit", "Show the audit log of every operation, or verify its hash chain") { since, verify };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            if (context.Get(verify))
            {
                var result = await AuditLog.VerifyAsync(repository, context.CancellationToken);
                if (context.Json)
                {
                    context.WriteJson(new AuditVerifyOutput(result.Ok, result.Records, result.Head, result.Problems, result.Warnings));
                }
                else
                {
                    foreach (var p in result.Problems)
                    {
                        Console.Error.WriteLine($"error: {p.Message}");
                    }

                    foreach (var w in result.Warnings)
                    {
                        Console.Error.WriteLine($"warning: {w}");
                    }

                    var verdict = result.Ok ? "chain verified, no record deleted, reordered or edited" : $"{result.Problems.Count} problem(s)";
                    Console.Out.WriteLine($"audit log: {result.Records} record(s), head {result.Head}: {verdict}");
                }

                return result.Ok ? ExitCodes.Ok : ExitCodes.Integrity;
            }

            var from = context.Get(since) is { } s ? RepositoryContext.Default.Time.GetUtcNow() - Durations.Parse(s, "--since") : DateTimeOffset.MinValue;
            var records = (await AuditLog.ReadAllAsync(repository, context.CancellationToken)).Where(e => e.Record.Finished >= from).ToList();
            if (context.Json)
            {
                IReadOnlyList<AuditListItem> items = [.. records.Select(e => new AuditListItem(e.Sha256, e.Record))];
                context.WriteJson(items);
                return ExitCodes.Ok;
            }

            Console.Out.WriteLine($"{"SEQ",6} {"FINISHED",-20} {"OPERATION",-11} {"STATUS",-11} {"SECONDS",8} {"USER@HOST",-24} {"SNAPSHOT",-9} DETAILS");
            foreach (var e in records)
            {
                var r = e.Record;
                var details = string.Join(" ", new[] { r.Source, r.Evidence is null ? null : "evidence " + r.Evidence[..8], r.Error }.OfType<string>());
                Console.Out.WriteLine($"{r.Sequence,6} {r.Finished.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {r.Operation,-11} {r.Status,-11} {(r.Finished - r.Started).TotalSeconds,8:0.0} {Clip(r.User + "@" + r.Host, 24),-24} {(r.Snapshots.Count > 0 ? r.Snapshots[0][..8] : ""),-9} {details}");
            }

            context.Info($"{records.Count} record(s)");
            return ExitCodes.Ok;
        });
    }

    public static Command Status()
    {
        var maxAge = new Option<string>("--max-age") { Description = "Latest backup of each source at most this old (off to skip)", DefaultValueFactory = _ => "25h" };
        var maxDrill = new Option<string>("--max-drill-age") { Description = "Latest passed drill of each database source at most this old (off to skip)", DefaultValueFactory = _ => "35d" };
        var maxCheck = new Option<string>("--max-check-age") { Description = "Latest passed check at most this old (off to skip)", DefaultValueFactory = _ => "8d" };
        var command = new Command("status", "Are backups, drills and checks fresh? Nagios exit codes: 0 OK, 1 WARNING, 2 CRITICAL") { maxAge, maxDrill, maxCheck };
        return command.WithAction(async context =>
        {
            var limits = new StatusLimits(
                Durations.ParseLimit(context.Get(maxAge), "--max-age"),
                Durations.ParseLimit(context.Get(maxDrill), "--max-drill-age"),
                Durations.ParseLimit(context.Get(maxCheck), "--max-check-age"));
            var repository = await context.OpenRepositoryAsync();
            var report = await RepositoryStatus.RunAsync(repository, limits, RepositoryContext.Default.Time, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(new StatusOutput(report.Health.ToString().ToLowerInvariant(), (int)report.Health, report.Now, report.Items));
            }
            else
            {
                var problems = report.Problems.ToList();
                if (problems.Count == 0)
                {
                    Console.Out.WriteLine($"OK: {report.Items.Count} item(s) fresh");
                }

                foreach (var item in problems.Concat(report.Items.Where(i => i.Health == Health.Ok)))
                {
                    Console.Out.WriteLine(item.Message);
                }
            }

            return (int)report.Health;
        });
    }

    public static Command Report()
    {
        var since = new Option<string>("--since") { Description = "The period to cover, e.g. 30d", DefaultValueFactory = _ => "30d" };
        var command = new Command("report", "Compliance summary of a period: backups, failures, drills with RTO/RPO, checks, retention, audit chain") { since };
        return command.WithAction(async context =>
        {
            var period = Durations.Parse(context.Get(since)!, "--since");
            var repository = await context.OpenRepositoryAsync();
            var report = await ComplianceReport.BuildAsync(repository, period, RepositoryContext.Default.Time, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(report);
            }
            else
            {
                Console.Out.Write(ComplianceMarkdown.Render(report));
            }

            // the report covers what can be read; what cannot is named in it, and here, and exits 3
            if (report.DamagedSnapshots.Count > 0)
            {
                var names = DamagedSnapshot.Names(report.DamagedSnapshots);
                Console.Error.WriteLine($"error: {report.DamagedSnapshots.Count} snapshot(s) cannot be read ({names}) and are not counted in the report: " +
                    DamagedSnapshot.Remedy(names));
            }

            foreach (var e in report.DamagedEvidence)
            {
                Console.Error.WriteLine($"error: {e}");
            }

            // a report must not read as fine when its audit trail is not: the chain's problems are in it, and here
            if (report.AuditProblems.Count > 0)
            {
                Console.Error.WriteLine($"error: the audit log's hash chain is broken ({report.AuditProblems.Count} problem(s), e.g. {report.AuditProblems[0]}): " +
                    "run 'lifeboat audit --verify' for every one");
            }

            return report.DamagedSnapshots.Count + report.DamagedEvidence.Count + report.AuditProblems.Count > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
        });
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
