using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Cli.Commands;

/// <summary><c>backup</c>: a PostgreSQL database (<c>--db</c>) or a stream from stdin (<c>--stdin</c>).</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var db = new Option<string?>("--db") { Description = "The database to back up: postgres://user@host:port/db or 'host=... dbname=...' (password from PGPASSWORD or ~/.pgpass)" };
        var jobs = DatabaseOptions.Jobs();
        var schema = Repeatable("--schema", "Only schemas matching this pattern (as pg_dump -n)");
        var excludeSchema = Repeatable("--exclude-schema", "Skip schemas matching this pattern (as pg_dump -N)");
        var table = Repeatable("--table", "Only tables matching this pattern (as pg_dump -t)");
        var excludeTable = Repeatable("--exclude-table", "Skip tables matching this pattern (as pg_dump -T)");
        var excludeData = Repeatable("--exclude-table-data", "Keep these tables' definitions but not their rows");
        var profile = new Option<string?>("--profile") { Description = "supabase: skip the platform's own schemas and extensions, keep auth users, storage metadata and migration history (docs/postgres.md)" };
        profile.AcceptOnlyFromAmong(SupabaseProfile.Name);
        var physicalOrder = new Option<bool>("--physical-order") { Description = "Read every table in physical order, as pg_dump (by default a table with a growing primary key is read in key order, so new rows change only the end of its stream)" };
        var globals = new Option<bool>("--globals") { Description = "Also save roles and tablespaces (without passwords)" };
        var stdin = new Option<bool>("--stdin") { Description = "Back up the bytes read from standard input (e.g. pg_dump -Fc db | lifeboat backup --stdin --name db.dump)" };
        var name = new Option<string?>("--name") { Description = "Name of the stream in the snapshot (with --stdin)" };
        var allowEmpty = new Option<bool>("--allow-empty") { Description = "With --stdin: save an empty input as an empty stream (by default it is refused, exit 17: the program piping in probably failed)" };
        var tags = Repeatable("--tag", "Tag the snapshot (repeatable)");
        var paths = Repeatable("--path", "Back up this directory tree (repeatable; each is stored under its last name; symbolic links are stored, not followed)");
        var excludes = Repeatable("--exclude", "With --path: leave out what matches this pattern (a name such as '*.tmp', or with a '/' an absolute path; repeatable)");
        var crossFileSystems = new Option<bool>("--cross-file-systems") { Description = "With --path: also enter directories on other file systems (by default a mount point is stored empty)" };
        var bucket = new Option<string?>("--bucket") { Description = "Back up the objects of an S3 bucket: s3:https://HOST/BUCKET[/prefix] (Supabase Storage: s3:https://REF.supabase.co/storage/v1/s3/BUCKET; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)" };
        var time = new Option<string?>("--time") { Description = "Record this time (ISO 8601) instead of now, e.g. when importing old dumps" };
        var command = new Command("backup", "Make a snapshot of a database (--db), of standard input (--stdin), of directories (--path) or of a bucket (--bucket)")
        {
            db, jobs, schema, excludeSchema, table, excludeTable, excludeData, profile, physicalOrder, globals, DatabaseOptions.PgBin, stdin, name, allowEmpty, paths, excludes, crossFileSystems, bucket, tags, time,
            AlsoTo.Option, AlsoTo.PasswordFileOption,
        };
        return command.WithAction(async context =>
        {
            var when = ParseTime(context.Get(time));
            var tagList = context.Get(tags) ?? [];
            var pathList = context.Get(paths) ?? [];
            if (context.Get(bucket) is { } bucketUrl)
            {
                if (context.Get(db) is not null || context.Get(stdin) || pathList.Length > 0)
                {
                    throw new UsageException("choose one: --db, --stdin, --path or --bucket");
                }

                return await BucketCommands.BackupAsync(context, bucketUrl, tagList, when);
            }

            if (pathList.Length > 0)
            {
                if (context.Get(db) is not null || context.Get(stdin))
                {
                    throw new UsageException("choose one: --db, --stdin or --path");
                }

                return await DirectoryCommands.BackupAsync(context, new Operations.Directories.DirectoryBackupRequest(pathList)
                {
                    Excludes = context.Get(excludes) ?? [],
                    CrossFileSystems = context.Get(crossFileSystems),
                    Tags = tagList,
                    Time = when,
                });
            }

            if ((context.Get(excludes) ?? []).Length > 0 || context.Get(crossFileSystems))
            {
                throw new UsageException("--exclude and --cross-file-systems go with --path DIR");
            }

            if (context.Get(db) is { } connection)
            {
                if (context.Get(stdin))
                {
                    throw new UsageException("choose one: --db or --stdin");
                }

                var source = DatabaseOptions.Connection(connection, "--db");
                var options = new DatabaseSelection
                {
                    Jobs = DatabaseOptions.ValidJobs(context.Get(jobs)),
                    Schemas = context.Get(schema) ?? [],
                    ExcludeSchemas = context.Get(excludeSchema) ?? [],
                    Tables = context.Get(table) ?? [],
                    ExcludeTables = context.Get(excludeTable) ?? [],
                    ExcludeTableData = context.Get(excludeData) ?? [],
                    Profile = context.Get(profile),
                    Globals = context.Get(globals),
                    PhysicalOrder = context.Get(physicalOrder),
                    PgBinDirectory = context.Get(DatabaseOptions.PgBin),
                }.ToCaptureOptions();
                return await BackupDatabaseAsync(context, source, options, tagList, when);
            }

            if (!context.Get(stdin))
            {
                if (context.Get(allowEmpty))
                {
                    throw new UsageException("--allow-empty goes with --stdin: a database backup is never empty");
                }

                throw new UsageException("say what to back up: --db CONNECTION, --stdin --name NAME, --path DIR or --bucket s3:https://HOST/BUCKET");
            }

            var streamName = context.Get(name) ?? throw new UsageException("--stdin needs --name NAME for the stream, e.g. --name db.dump");
            if (!Console.IsInputRedirected)
            {
                throw new UsageException("standard input is a terminal: pipe the data in, e.g. pg_dump -Fc db | lifeboat backup --stdin --name db.dump");
            }

            return await BackupStdinAsync(context, streamName, tagList, when, context.Get(allowEmpty));
        });
    }

    private static async Task<int> BackupDatabaseAsync(CliContext context, PgConnectionInfo source, CaptureOptions options, string[] tags, DateTimeOffset? when)
    {
        var (repository, alsoTo) = Repositories(context);
        var backup = new DatabaseBackup(repository, new BackupWriterOptions { UploadConcurrency = context.Connections });
        var progress = new LatestProgress<BackupProgress>();
        DatabaseBackupResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { } p
            ? $"backup: tables {p.TablesDone}/{p.TablesTotal}, {Progress.Transfer(p.BytesDone, p.BytesEstimated, elapsed)}, {Bytes.Format(p.StoredBytes)} new stored"
            : "backup: reading the catalog and the schema"))
        {
            // "backing up ... with N job(s)" comes through the repository's notices once it is open
            result = await backup.RunAsync(
                new DatabaseBackupRequest(source, options) { Tags = tags, Time = when, AlsoTo = alsoTo }, progress, context.CancellationToken);
        }

        return await ReportAsync(context, result.Record, result.Warnings, result.Copies);
    }

    private static async Task<int> BackupStdinAsync(CliContext context, string streamName, string[] tags, DateTimeOffset? when, bool allowEmpty)
    {
        var (repository, alsoTo) = Repositories(context);
        var backup = new StreamBackup(repository, new BackupWriterOptions { UploadConcurrency = context.Connections });
        await using var input = Console.OpenStandardInput();
        var progress = new LatestProgress<BackupProgress>();
        StreamBackupResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { } p
            ? $"backup: {Progress.Transfer(p.BytesDone, null, elapsed)}, {Bytes.Format(p.StoredBytes)} new stored"
            : "backup: starting"))
        {
            result = await backup.RunAsync(
                new StreamBackupRequest(streamName, input) { Tags = tags, Time = when, AllowEmpty = allowEmpty, AlsoTo = alsoTo }, progress, context.CancellationToken);
        }

        return await ReportAsync(context, result.Record, result.Warnings, result.Copies);
    }

    /// <summary>
    /// The repository of --repo and the --also-to ones, to be opened by the backup; the passwords are read
    /// (or asked for) now, before a progress line is drawn.
    /// </summary>
    private static (IRepositoryOpener Repository, IReadOnlyList<IRepositoryOpener> AlsoTo) Repositories(CliContext context)
    {
        var repository = context.RepositoryOpener;
        _ = context.Password;
        return (repository, AlsoTo.Openers(context));
    }

    /// <summary>Reports the snapshot, then copies it to the --also-to repositories (reporting each).</summary>
    private static async Task<int> ReportAsync(
        CliContext context, SnapshotRecord record, IReadOnlyList<string> warnings, SnapshotCopies copies)
    {
        foreach (var warning in warnings)
        {
            // on stderr even with --quiet or --json: a backup far smaller than before is what a cron mail must carry
            Console.Error.WriteLine("lifeboat: warning: " + warning);
        }

        if (!context.Json)
        {
            Report(context, record, warnings, null);
        }

        var (outcomes, exitCode) = copies.Any ? await AlsoTo.CopyAsync(context, copies) : ([], ExitCodes.Ok);
        if (context.Json)
        {
            Report(context, record, warnings, copies.Any ? outcomes : null);
        }

        return exitCode;
    }

    private static void Report(CliContext context, SnapshotRecord record, IReadOnlyList<string> warnings, IReadOnlyList<CopyOutcome>? copies)
    {
        var summary = record.Snapshot.Summary;
        if (context.Json)
        {
            context.WriteJson(new BackupOutput(record.Id.ToString(), record.Snapshot.Time, record.Snapshot.Source, summary, record.Snapshot.Manifest, warnings, copies));
            return;
        }

        var tables = record.Snapshot.Manifest?["tables"] is { } t ? $"{t} table(s), " : "";
        context.Info($"snapshot {record.ShortId} saved: {tables}{Bytes.Format(summary.BytesRead)} read, {Bytes.Format(summary.NewBytes)} new " +
            $"({Bytes.Format(summary.StoredBytes)} stored after compression), {summary.DuplicateBlobs} chunk(s) deduplicated, {summary.Seconds:0.0} s");
    }

    private static Option<string[]> Repeatable(string name, string description) => new(name) { Description = description };

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
