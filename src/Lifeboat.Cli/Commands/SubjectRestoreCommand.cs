using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations.Subjects;
using Lifeboat.Postgres.Subjects;

namespace Lifeboat.Cli.Commands;

/// <summary><c>subject restore</c>: a subject's rows from a snapshot back into a live database, in one transaction.</summary>
internal static class SubjectRestoreCommand
{
    public static Command Create()
    {
        var options = new SubjectCommands.Options(scratchRequired: false);
        var to = new Option<string>("--to") { Description = "The live database the rows go into: postgres://user@host:port/db", Required = true };
        var onConflict = new Option<string>("--on-conflict") { Description = "A row whose key is live with other values: skip (keep the live row), update (overwrite it) or fail (restore nothing)", Required = true };
        onConflict.AcceptOnlyFromAmong("skip", "update", "fail");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print every change and change nothing (the transaction is rolled back)" };
        var command = new Command("restore", "Insert the subject's rows into a live database in foreign-key order, in one transaction") { to, onConflict, dryRun };
        foreach (var symbol in options.All)
            SubjectCommands.Add(command, symbol);
        return command.WithAction(async context =>
        {
            var target = DatabaseOptions.Connection(context.Get(to), "--to");
            var request = await options.RequestAsync(context, defaultScratch: target);
            var restore = new SubjectRestoreRequest(target, Enum.Parse<SubjectConflict>(context.Get(onConflict) ?? "fail", ignoreCase: true), context.Get(dryRun));
            var result = await new SubjectRestore(context.RepositoryOpener).RunAsync(request, restore, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(result);
            }
            else
            {
                Describe(result, context.Quiet);
            }
            return ExitCodes.Ok;
        });
    }

    private static void Describe(SubjectRestoreResult result, bool quiet)
    {
        if (!quiet)
            SubjectCommands.Describe(result.Subject, Console.Error);
        foreach (var change in result.Changes)
            Console.Out.WriteLine($"{change.Action,-9}  {change.Table}  {change.Key}");
        var width = Math.Max(5, result.Tables.Select(t => t.Table.Length).DefaultIfEmpty(5).Max());
        Console.Out.WriteLine($"  {"INSERTED",8}  {"UPDATED",7}  {"SKIPPED",7}  {"TABLE".PadRight(width)}");
        foreach (var t in result.Tables)
            Console.Out.WriteLine($"  {Count(t.Inserted),8}  {Count(t.Updated),7}  {Count(t.Skipped),7}  {t.Table}");
        var verb = result.DryRun ? "dry run, nothing changed: would insert" : "restored: inserted";
        Console.Out.WriteLine($"{verb} {Count(result.Inserted)}, updated {Count(result.Updated)}, skipped {Count(result.Skipped)} row(s) into {result.Target} " +
            $"(on conflict {result.OnConflict}); RTO {result.RtoSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
