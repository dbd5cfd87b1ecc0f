using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Operations.Subjects;
using Lifeboat.Postgres;
using Lifeboat.Postgres.Subjects;
using Lifeboat.Repository;

namespace Lifeboat.Cli.Commands;

/// <summary><c>subject show</c> and <c>subject export</c>: one person's rows across the tables of a database snapshot.</summary>
internal static class SubjectCommands
{
    public static Command Create() => new("subject", "One person's data in a database snapshot: a root row and every row that depends on it")
    {
        Show(),
        Export(),
        SubjectRestoreCommand.Create(),
    };

    /// <summary>The options both subcommands take.</summary>
    internal sealed class Options
    {
        public readonly Argument<string> Snapshot = new("SNAPSHOT") { Description = "A snapshot id (or its first digits), or 'latest'" };
        public readonly Option<string> Root = new("--root") { Description = "The root table, e.g. auth.users", Required = true };
        public readonly Option<string> Where = new("--where") { Description = "An SQL predicate selecting the root rows, e.g. \"id = '…'\"", Required = true };
        public readonly Option<string?> Links = new("--links") { Description = "A subject file (YAML): links for columns without a foreign key, and foreign keys followed both ways" };
        public readonly Option<string?> Scratch;

        public Options(bool scratchRequired = true) =>
            Scratch = new("--scratch")
            {
                Description = "The scratch server: postgres://user@host:port/db (a database is created there for the search and dropped)" + (scratchRequired ? "" : "; default: the --to server"),
                Required = scratchRequired,
            };

        public IEnumerable<Symbol> All => [Snapshot, Root, Where, Links, Scratch, DatabaseOptions.PgBin];

        public async Task<SubjectRequest> RequestAsync(CliContext context, PgConnectionInfo? defaultScratch = null)
        {
            var links = context.Get(Links) is { } file ? await SubjectFile.LoadAsync(file, context.CancellationToken) : new SubjectFile();
            var where = context.Get(Where) ?? "";
            if (string.IsNullOrWhiteSpace(where))
                throw new UsageException("--where is empty: give a predicate selecting the subject's root rows, e.g. \"id = '…'\"");
            return new SubjectRequest
            {
                Snapshot = context.Get(Snapshot) ?? "latest",
                Scratch = context.Get(Scratch) is null && defaultScratch is not null ? defaultScratch : DatabaseOptions.Connection(context.Get(Scratch), "--scratch"),
                Query = new SubjectQuery
                {
                    Root = context.Get(Root) ?? "",
                    Where = where,
                    Links = links.Links,
                    TwoWay = links.TwoWay,
                    PgBinDirectory = context.Get(DatabaseOptions.PgBin),
                },
            };
        }
    }

    private static Command Show()
    {
        var options = new Options();
        var command = new Command("show", "Every table with the subject's rows: how many, and the path of links by which it was reached");
        foreach (var symbol in options.All)
            Add(command, symbol);
        return command.WithAction(async context =>
        {
            var found = await new SubjectSearch(context.RepositoryOpener).ShowAsync(await options.RequestAsync(context), context.CancellationToken);
            if (context.Json)
                context.WriteJson(found);
            else
                Describe(found, Console.Out);
            return ExitCodes.Ok;
        });
    }

    private static Command Export()
    {
        var options = new Options();
        var format = new Option<string>("--format") { Description = "json (one document), sql (INSERTs in foreign-key order) or csv (a zip of one CSV per table)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "sql", "csv");
        var output = new Option<string>("--output", "-o") { Description = "The file to write (written whole or not at all)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace the output file when it exists" };
        var command = new Command("export", "Write all of the subject's rows, per table, to one file") { format, output, force };
        foreach (var symbol in options.All)
            Add(command, symbol);
        return command.WithAction(async context =>
        {
            var export = new SubjectExportRequest(context.Get(output) ?? "", Enum.Parse<SubjectFormat>(context.Get(format) ?? "json", ignoreCase: true), context.Get(force));
            var result = await new SubjectExport(context.RepositoryOpener).RunAsync(await options.RequestAsync(context), export, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(new SubjectExportOutput(result.Output, result.Format.ToString().ToLowerInvariant(), result.BytesWritten, result.Found));
            }
            else if (!context.Quiet)
            {
                Describe(result.Found, Console.Error);
                Console.Error.WriteLine($"wrote {Count(result.Found.Rows)} row(s) as {result.Format.ToString().ToLowerInvariant()} to {result.Output} ({Bytes.Format(result.BytesWritten)})");
            }
            return ExitCodes.Ok;
        });
    }

    internal static void Add(Command command, Symbol symbol)
    {
        if (symbol is Argument argument)
            command.Arguments.Add(argument);
        else
            command.Options.Add((Option)symbol);
    }

    internal static void Describe(SubjectFound found, TextWriter output)
    {
        var withRows = found.Tables.Count(t => t.Rows > 0);
        output.WriteLine($"subject in snapshot {found.Snapshot[..8]} ({found.Database}, {found.SnapshotTime.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC): " +
            $"{Count(found.Rows)} row(s) in {withRows} of {found.Tables.Count} table(s) reached from {found.Root}");
        var width = Math.Max(5, found.Tables.Max(t => t.Table.Length));
        output.WriteLine($"  {"ROWS",8}  {"TABLE".PadRight(width)}  PATH");
        foreach (var table in found.Tables)
            output.WriteLine($"  {Count(table.Rows),8}  {table.Table.PadRight(width)}  {string.Join(" → ", table.Path)}");
        foreach (var note in found.Notes)
            output.WriteLine($"note: {note}");
        output.WriteLine($"read {Bytes.Format(found.BytesRead)} from the repository in {found.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
