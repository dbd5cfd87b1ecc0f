using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Cli.Commands;

/// <summary><c>backup</c>: a stream from stdin.</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var stdin = new Option<bool>("--stdin") { Description = "Back up the bytes read from standard input (e.g. pg_dump -Fc db | lifeboat backup --stdin --name db.dump)" };
        var name = new Option<string?>("--name") { Description = "Name of the stream in the snapshot (with --stdin)" };
        var tags = new Option<string[]>("--tag") { Description = "Tag the snapshot (repeatable)", AllowMultipleArgumentsPerToken = false };
        var time = new Option<string?>("--time") { Description = "Record this time (ISO 8601) instead of now, e.g. when importing old dumps" };
        var command = new Command("backup", "Make a snapshot") { stdin, name, tags, time };
        return command.WithAction(async context =>
        {
            if (!context.Get(stdin))
            {
                throw new UsageException("say what to back up: --stdin --name NAME (database backups with --db come with PostgreSQL support)");
            }

            var streamName = context.Get(name) ?? throw new UsageException("--stdin needs --name NAME for the stream, e.g. --name db.dump");
            if (!Console.IsInputRedirected)
            {
                throw new UsageException("standard input is a terminal: pipe the data in, e.g. pg_dump -Fc db | lifeboat backup --stdin --name db.dump");
            }

            var when = ParseTime(context.Get(time));
            var repository = await context.OpenRepositoryAsync();
            var backup = new StreamBackup(repository, new BackupWriterOptions());
            await using var input = Console.OpenStandardInput();
            Repository.SnapshotRecord record;
            await using (Progress.Start(context.ShowProgress, elapsed => backup.Writer is { } w
                ? $"backup: {Progress.Transfer(w.Stats.BytesRead, null, elapsed)}, {Bytes.Format(w.Stats.StoredBytes)} new stored"
                : "backup: starting"))
            {
                record = await backup.RunAsync(streamName, input, context.Get(tags) ?? [], when, context.CancellationToken);
            }

            var summary = record.Snapshot.Summary;
            if (context.Json)
            {
                context.WriteJson(new { snapshot = record.Id.ToString(), time = record.Snapshot.Time, summary });
            }
            else
            {
                context.Info($"snapshot {record.ShortId} saved: {Bytes.Format(summary.BytesRead)} read, {Bytes.Format(summary.NewBytes)} new " +
                    $"({Bytes.Format(summary.StoredBytes)} stored after compression), {summary.DuplicateBlobs} chunks deduplicated, {summary.Seconds:0.0} s");
            }

            return ExitCodes.Ok;
        });
    }

    internal static DateTimeOffset? ParseTime(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new UsageException($"--time '{text}' is not a date and time: use ISO 8601, e.g. 2026-01-31T02:00:00Z");
    }
}
