using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Postgres;

namespace Lifeboat.Cli.Commands;

/// <summary><c>restore</c>: a database snapshot into PostgreSQL — whole, one table, or single rows.</summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "A snapshot id (or its first digits), or 'latest'" };
        var to = new Option<string?>("--to") { Description = "The target database: postgres://user@host:port/db or 'host=... dbname=...'", Required = true };
        var create = new Option<bool>("--create") { Description = "Create the target database first (it must not exist)" };
        var keepFailed = new Option<bool>("--keep-failed")
        {
            Description = "If the restore fails, keep what it loaded for inspection, marked incomplete (by default a database it created is dropped, an existing target emptied again)",
        };
        var clean = new Option<bool>("--clean") { Description = "Drop everything in the target first (otherwise a non-empty target is refused)" };
        var jobs = DatabaseOptions.Jobs();
        var noOwner = new Option<bool>("--no-owner") { Description = "Objects belong to the restoring role (when the source's roles do not exist here)" };
        var noPrivileges = new Option<bool>("--no-privileges") { Description = "Skip GRANT and REVOKE" };
        var globals = new Option<bool>("--globals") { Description = "First create the roles, memberships and tablespaces the snapshot holds (backup --globals; without passwords)" };
        var noAnalyze = new Option<bool>("--no-analyze") { Description = "Do not ANALYZE the restored tables (as pg_restore): the planner has no statistics until autovacuum gathers them" };
        var noSplit = new Option<bool>("--no-split") { Description = "Load each table on one connection (a big table is otherwise loaded in parts at once; its rows then interleave on disk)" };
        var verify = new Option<bool>("--verify") { Description = "Afterwards, re-read every table and compare its rows and SHA-256 with the snapshot" };
        var table = new Option<string?>("--table") { Description = "Restore only this table (schema.table)" };
        var asName = new Option<string?>("--as") { Description = "With --table: restore beside the live table under this name" };
        var intoSchema = new Option<string?>("--into-schema") { Description = "With --table: restore into this schema, beside the live table" };
        var swap = new Option<bool>("--swap") { Description = "With --table: replace the live table atomically (the old one is kept as NAME_before_restore)" };
        var where = new Option<string?>("--where") { Description = "With --table: restore only the rows matching this SQL predicate into the live table" };
        var onConflict = new Option<string>("--on-conflict") { Description = "With --where: skip (keep live rows) or update (overwrite them)", DefaultValueFactory = _ => "skip" };
        onConflict.AcceptOnlyFromAmong("skip", "update");
        var command = new Command("restore", "Restore a database snapshot into PostgreSQL")
        {
            snapshot, to, create, keepFailed, clean, jobs, noOwner, noPrivileges, globals, noAnalyze, noSplit, verify, table, asName, intoSchema, swap, where, onConflict, DatabaseOptions.PgBin,
        };
        return command.WithAction(async context =>
        {
            var target = DatabaseOptions.Connection(context.Get(to), "--to");
            var pgBin = context.Get(DatabaseOptions.PgBin);
            // pg_restore's version is read while the repository opens
            PgToolset.Prefetch(pgBin);
            var tableName = context.Get(table);
            if (tableName is null && (context.Get(asName) ?? context.Get(intoSchema) ?? context.Get(where)) is not null || (tableName is null && context.Get(swap)))
            {
                throw new UsageException("--as, --into-schema, --swap and --where go with --table SCHEMA.TABLE");
            }

            if (tableName is not null && context.Get(globals))
            {
                throw new UsageException("--globals goes with a whole-database restore, not with --table");
            }

            var request = new DatabaseRestoreRequest
            {
                Snapshot = context.Get(snapshot)!,
                Target = target,
                Create = context.Get(create),
                KeepFailed = context.Get(keepFailed),
                Verify = context.Get(verify),
                Options = new RestoreOptions
                {
                    Jobs = DatabaseOptions.ValidJobs(context.Get(jobs)),
                    Clean = context.Get(clean),
                    NoOwner = context.Get(noOwner),
                    NoPrivileges = context.Get(noPrivileges),
                    Globals = context.Get(globals),
                    Analyze = !context.Get(noAnalyze),
                    MinimumPartBytes = context.Get(noSplit) ? long.MaxValue : new RestoreOptions().MinimumPartBytes,
                    PgBinDirectory = pgBin,
                },
                Table = tableName is null || context.Get(where) is not null ? null : new TableRestoreOptions
                {
                    Table = tableName,
                    AsName = context.Get(asName),
                    IntoSchema = context.Get(intoSchema),
                    Swap = context.Get(swap),
                    PgBinDirectory = pgBin,
                },
                Rows = tableName is null || context.Get(where) is not { } predicate ? null : new RowRestoreOptions
                {
                    Table = tableName,
                    Where = predicate,
                    OnConflict = context.Get(onConflict) == "update" ? OnConflict.Update : OnConflict.Skip,
                },
            };
            // A whole restore into an existing database connects to it while the repository's key is derived.
            await using var early = request.Table is null && request.Rows is null && !request.Create
                ? EarlyConnection.Open(target, context.CancellationToken)
                : null;
            var repository = await context.OpenRepositoryAsync();
            var restore = new DatabaseRestore(repository);
            request = request with { TargetConnection = early };
            DatabaseRestoreResult result;
            await using (Progress.Start(context.ShowProgress, elapsed => restore.Source is { } s
                ? $"restore: {Progress.Transfer(s.BytesRead, restore.Manifest?.TotalDataBytes, elapsed)}"
                : "restore: opening the snapshot"))
            {
                result = await restore.RunAsync(request, context.CancellationToken);
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
}
