using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Operations.Changes;
using Lifeboat.Postgres;

namespace Lifeboat.Cli.Commands;

/// <summary><c>restore</c>: a database snapshot into PostgreSQL — whole, one table, or single rows.</summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var inputs = new Inputs();
        var command = new Command("restore", "Restore a database snapshot into PostgreSQL (--to), a directory snapshot into a directory (--to-dir), or a bucket snapshot into a bucket (--to-bucket)")
        {
            inputs.Snapshot, inputs.To, inputs.Create, inputs.KeepFailed, inputs.Clean, inputs.Jobs, inputs.NoOwner, inputs.NoPrivileges,
            inputs.Globals, inputs.NoAnalyze, inputs.NoSplit, inputs.Verify, inputs.Table, inputs.AsName, inputs.IntoSchema, inputs.Swap,
            inputs.Where, inputs.OnConflict, DatabaseOptions.PgBin, inputs.ToDir, inputs.Include, inputs.Overwrite,
            inputs.ToTime, inputs.ToLsn, inputs.Exclusive,
            inputs.ToBucket, inputs.Prefix, inputs.Key,
        };
        return command.WithAction(context => RunAsync(context, inputs));
    }

    private static async Task<int> RunAsync(CliContext context, Inputs inputs)
    {
        if (context.Get(inputs.ToBucket) is { } bucket)
        {
            if (context.Get(inputs.To) is not null || context.Get(inputs.ToDir) is not null || context.Get(inputs.Table) is not null || (context.Get(inputs.Include) ?? []).Length > 0)
            {
                throw new UsageException("--to-bucket restores a bucket snapshot: --to, --to-dir, --table and --include are for databases and directories");
            }

            return await BucketCommands.RestoreAsync(context, context.Get(inputs.Snapshot)!, bucket, context.Get(inputs.Prefix), context.Get(inputs.Key), context.Get(inputs.Overwrite));
        }

        if (context.Get(inputs.Prefix) is not null || context.Get(inputs.Key) is not null)
        {
            throw new UsageException("--prefix and --key go with --to-bucket URL");
        }

        if (context.Get(inputs.ToDir) is { } directory)
        {
            if (context.Get(inputs.To) is not null || context.Get(inputs.Create) || context.Get(inputs.Clean) || context.Get(inputs.Table) is not null || context.Get(inputs.Verify))
            {
                throw new UsageException("--to-dir restores a directory snapshot: --to, --create, --clean, --table and --verify are for a database");
            }

            return await DirectoryCommands.RestoreAsync(context, new Operations.Directories.DirectoryRestoreRequest(context.Get(inputs.Snapshot)!, directory)
            {
                Includes = context.Get(inputs.Include) ?? [],
                Overwrite = context.Get(inputs.Overwrite),
            });
        }

        if ((context.Get(inputs.Include) ?? []).Length > 0 || context.Get(inputs.Overwrite))
        {
            throw new UsageException("--include goes with --to-dir DIR, --overwrite with --to-dir DIR or --to-bucket URL");
        }

        if (context.Get(inputs.To) is null)
        {
            throw new UsageException("say where to restore: --to CONNECTION for a database snapshot, --to-dir DIR for a directory snapshot");
        }

        var request = Request(context, inputs);
        var progress = new LatestProgress<RestoreProgress>();
        DatabaseRestoreResult result;
        await using (Progress.Start(context.ShowProgress, elapsed => progress.Value is { Phase: not RestorePhase.OpeningSnapshot } p
            ? $"restore: {Progress.Transfer(p.BytesRead, p.BytesExpected, elapsed)}"
            : "restore: opening the snapshot"))
        {
            result = await new DatabaseRestore(context.RepositoryOpener).RunAsync(request, progress, context.CancellationToken);
        }

        if (context.Json)
        {
            context.WriteJson(result);
        }
        else
        {
            Describe(context, result);
        }

        return result.Verification is { Ok: false } ? ExitCodes.Integrity : ExitCodes.Ok;
    }

    private static DatabaseRestoreRequest Request(CliContext context, Inputs inputs)
    {
        var target = DatabaseOptions.Connection(context.Get(inputs.To), "--to");
        return new DatabaseRestoreRequest
        {
            Snapshot = context.Get(inputs.Snapshot)!,
            Target = target,
            Create = context.Get(inputs.Create),
            KeepFailed = context.Get(inputs.KeepFailed),
            Mode = Mode(context, inputs),
            PointInTime = PointInTimeOf(context, inputs),
        };
    }

    /// <summary>--to-time or --to-lsn (one of them), and --exclusive.</summary>
    private static PointInTime? PointInTimeOf(CliContext context, Inputs inputs)
    {
        var time = context.Get(inputs.ToTime);
        var lsn = context.Get(inputs.ToLsn);
        if (time is null && lsn is null)
        {
            return context.Get(inputs.Exclusive) ? throw new UsageException("--exclusive goes with --to-time or --to-lsn") : null;
        }

        if (time is not null && lsn is not null)
        {
            throw new UsageException("choose one: --to-time or --to-lsn");
        }

        if (context.Get(inputs.Verify))
        {
            throw new UsageException("--verify compares with the base snapshot, so it does not go with --to-time/--to-lsn");
        }

        DateTimeOffset? at = null;
        if (time is not null)
        {
            at = DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : throw new UsageException($"--to-time '{time}' is not a time: give ISO 8601, e.g. 2026-12-07T14:30:00Z");
        }

        ulong? position = null;
        if (lsn is not null)
        {
            try
            {
                position = Lifeboat.Repository.Changes.LogPosition.Parse(lsn);
            }
            catch (Lifeboat.Repository.IntegrityException)
            {
                throw new UsageException($"--to-lsn '{lsn}' is not a WAL position: give it as PostgreSQL shows it, e.g. 0/16B3748");
            }
        }

        return new PointInTime(position, at, context.Get(inputs.Exclusive));
    }

    /// <summary>The restore mode the options ask for: the one place that says which options go together.</summary>
    private static RestoreMode Mode(CliContext context, Inputs inputs)
    {
        var pgBin = context.Get(DatabaseOptions.PgBin);
        if (context.Get(inputs.Table) is not { } table)
        {
            if ((context.Get(inputs.AsName) ?? context.Get(inputs.IntoSchema) ?? context.Get(inputs.Where)) is not null || context.Get(inputs.Swap))
            {
                throw new UsageException("--as, --into-schema, --swap and --where go with --table SCHEMA.TABLE");
            }

            return new RestoreMode.WholeDatabase
            {
                Verify = context.Get(inputs.Verify),
                Options = new RestoreOptions
                {
                    Jobs = DatabaseOptions.ValidJobs(context.Get(inputs.Jobs)),
                    Clean = context.Get(inputs.Clean),
                    NoOwner = context.Get(inputs.NoOwner),
                    NoPrivileges = context.Get(inputs.NoPrivileges),
                    Globals = context.Get(inputs.Globals),
                    Analyze = !context.Get(inputs.NoAnalyze),
                    MinimumPartBytes = context.Get(inputs.NoSplit) ? long.MaxValue : new RestoreOptions().MinimumPartBytes,
                    PgBinDirectory = pgBin,
                },
            };
        }

        if (context.Get(inputs.Globals))
        {
            throw new UsageException("--globals goes with a whole-database restore, not with --table");
        }

        // --jobs is checked in every mode, as before
        _ = DatabaseOptions.ValidJobs(context.Get(inputs.Jobs));
        if (context.Get(inputs.Where) is { } predicate)
        {
            return new RestoreMode.MatchingRows(new RowRestoreOptions
            {
                Table = table,
                Where = predicate,
                OnConflict = context.Get(inputs.OnConflict) == "update" ? OnConflict.Update : OnConflict.Skip,
            });
        }

        return new RestoreMode.OneTable(new TableRestoreOptions
        {
            Table = table,
            AsName = context.Get(inputs.AsName),
            IntoSchema = context.Get(inputs.IntoSchema),
            Swap = context.Get(inputs.Swap),
            PgBinDirectory = pgBin,
        });
    }

    private static void Describe(CliContext context, DatabaseRestoreResult result)
    {
        if (result.RowChanges is { } rows)
        {
            context.Info($"{rows.Matched} row(s) matched in snapshot {result.SnapshotId[..8]}: {rows.Inserted} inserted, {rows.Updated} updated, {rows.Skipped} skipped (present already)");
            foreach (var change in rows.Changes.Take(50))
            {
                context.Info($"  {change.Action} {change.Key}");
            }

            return;
        }

        if (result.Table is { } table)
        {
            var renamed = table.PreviousTableRenamedTo is { } old ? $"; the previous table is now {old}" : "";
            context.Info($"restored {table.Rows} row(s) into {table.Destination}{renamed}");
            return;
        }

        if (result.Globals is { } roles)
        {
            var existed = roles.Existed.Count == 0 ? "" : $"; kept what existed already: {string.Join(", ", roles.Existed.Take(10))}{(roles.Existed.Count > 10 ? ", ..." : "")}";
            context.Info($"roles and tablespaces: {roles.Applied} statement(s) applied{existed}; passwords are not in backups: set them with ALTER ROLE ... PASSWORD");
        }

        if (result.Aftermath is null)
        {
            context.Info($"restored snapshot {result.SnapshotId[..8]} into {result.Target}: {result.Tables} table(s), {result.Rows} row(s), {Bytes.Format(result.Bytes)} in {result.Seconds:0.0} s");
        }

        if (result.Verification is { } verification)
        {
            if (verification.Ok)
            {
                var reordered = verification.Reordered.Count == 0 ? "" : $" ({verification.Reordered.Count} in another physical order, matched row by row: {string.Join(", ", verification.Reordered)})";
                context.Info($"verified: all {verification.Checked.Count} table(s) hold exactly the snapshot's rows{reordered}");
            }
            else
            {
                foreach (var mismatch in verification.Mismatches)
                {
                    Console.Error.WriteLine($"error: {mismatch}");
                }

                if (result.Aftermath is { } left)
                {
                    Console.Error.WriteLine($"lifeboat: verification failed. {left.Summary}");
                }
            }
        }
    }

    /// <summary>The arguments and options of <c>restore</c>, in the order help shows them.</summary>
    private sealed class Inputs
    {
        public Argument<string> Snapshot { get; } = new("SNAPSHOT") { Description = "A snapshot id (or its first digits), or 'latest'" };

        public Option<string?> To { get; } = new("--to") { Description = "The target database: postgres://user@host:port/db or 'host=... dbname=...'" };

        public Option<string?> ToDir { get; } = new("--to-dir") { Description = "Restore a directory snapshot into this directory (empty or new, unless --overwrite)" };

        public Option<string[]> Include { get; } = new("--include") { Description = "With --to-dir: only paths matching this pattern, with all below them (repeatable; see 'lifeboat ls SNAPSHOT')" };

        public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "With --to-dir: restore into a non-empty directory, replacing files of the same names; with --to-bucket: replace objects that differ" };

        public Option<string?> ToBucket { get; } = new("--to-bucket") { Description = "Restore a bucket snapshot into this bucket: s3:https://HOST/BUCKET[/prefix] (objects that differ are refused, exit 61, unless --overwrite)" };

        public Option<string?> Prefix { get; } = new("--prefix") { Description = "With --to-bucket: only the objects whose keys start with this (e.g. one user's folder)" };

        public Option<string?> Key { get; } = new("--key") { Description = "With --to-bucket: only this object" };

        public Option<bool> Create { get; } = new("--create") { Description = "Create the target database first (it must not exist)" };

        public Option<bool> KeepFailed { get; } = new("--keep-failed")
        {
            Description = "If the restore fails, keep what it loaded for inspection, marked incomplete (by default a database it created is dropped, an existing target emptied again)",
        };

        public Option<bool> Clean { get; } = new("--clean") { Description = "Drop everything in the target first (otherwise a non-empty target is refused)" };

        public Option<int> Jobs { get; } = DatabaseOptions.Jobs();

        public Option<bool> NoOwner { get; } = new("--no-owner") { Description = "Objects belong to the restoring role (when the source's roles do not exist here)" };

        public Option<bool> NoPrivileges { get; } = new("--no-privileges") { Description = "Skip GRANT and REVOKE" };

        public Option<bool> Globals { get; } = new("--globals") { Description = "First create the roles, memberships and tablespaces the snapshot holds (backup --globals; without passwords)" };

        public Option<bool> NoAnalyze { get; } = new("--no-analyze") { Description = "Do not ANALYZE the restored tables (as pg_restore): the planner has no statistics until autovacuum gathers them" };

        public Option<bool> NoSplit { get; } = new("--no-split") { Description = "Load each table on one connection (a big table is otherwise loaded in parts at once; its rows then interleave on disk)" };

        public Option<string?> ToTime { get; } = new("--to-time") { Description = "Restore to this time (ISO 8601): the base of 'follow', then its change log up to then" };

        public Option<string?> ToLsn { get; } = new("--to-lsn") { Description = "Restore to this WAL position (e.g. 0/16B3748): the base, then its change log up to there" };

        public Option<bool> Exclusive { get; } = new("--exclusive") { Description = "With --to-time/--to-lsn: stop just before the target rather than after it" };

        public Option<bool> Verify { get; } = new("--verify") { Description = "Afterwards, re-read every table and compare its rows and SHA-256 with the snapshot" };

        public Option<string?> Table { get; } = new("--table") { Description = "Restore only this table (schema.table)" };

        public Option<string?> AsName { get; } = new("--as") { Description = "With --table: restore beside the live table under this name" };

        public Option<string?> IntoSchema { get; } = new("--into-schema") { Description = "With --table: restore into this schema, beside the live table" };

        public Option<bool> Swap { get; } = new("--swap") { Description = "With --table: replace the live table atomically (the old one is kept as NAME_before_restore)" };

        public Option<string?> Where { get; } = new("--where") { Description = "With --table: restore only the rows matching this SQL predicate into the live table" };

        public Option<string> OnConflict { get; } = OnConflictOption();

        private static Option<string> OnConflictOption()
        {
            var option = new Option<string>("--on-conflict") { Description = "With --where: skip (keep live rows) or update (overwrite them)", DefaultValueFactory = _ => "skip" };
            option.AcceptOnlyFromAmong("skip", "update");
            return option;
        }
    }
}
