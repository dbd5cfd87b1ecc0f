using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Operations.Changes;
using Lifeboat.Postgres;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Cli.Commands;

/// <summary><c>follow</c>: continuous protection of a database (base backup, then its change log), until Ctrl-C; <c>follow --stop</c>.</summary>
internal static class FollowCommand
{
    public static Command Create()
    {
        var db = new Option<string?>("--db") { Description = "The database to follow: postgres://user@host:port/db (a direct connection, by a role with REPLICATION)" };
        var slot = new Option<string>("--slot") { Description = "The replication slot and publication name", DefaultValueFactory = _ => "lifeboat" };
        var flush = new Option<int>("--flush") { Description = "Seconds a committed change may wait before it is stored (and the slot acknowledged)", DefaultValueFactory = _ => 5 };
        var newBase = new Option<bool>("--new-base") { Description = "Take a new base backup and slot, even when the slot could be resumed (after a lost slot, exit 54)" };
        var stop = new Option<bool>("--stop") { Description = "Drop the slot and the publication (the server then stops keeping WAL for them)" };
        var jobs = DatabaseOptions.Jobs();
        var schema = new Option<string[]>("--schema") { Description = "Only schemas matching this pattern" };
        var excludeSchema = new Option<string[]>("--exclude-schema") { Description = "Skip schemas matching this pattern" };
        var table = new Option<string[]>("--table") { Description = "Only tables matching this pattern" };
        var excludeTable = new Option<string[]>("--exclude-table") { Description = "Skip tables matching this pattern" };
        var command = new Command("follow", "Back up a database, then record its every change until stopped (restore --to-time/--to-lsn)")
        {
            db, slot, flush, newBase, stop, jobs, schema, excludeSchema, table, excludeTable, DatabaseOptions.PgBin,
        };
        return command.WithAction(async context =>
        {
            var source = DatabaseOptions.Connection(context.Get(db) ?? throw new UsageException("follow needs --db CONNECTION"), "--db");
            var slotName = context.Get(slot) ?? "lifeboat";
            if (context.Get(stop))
            {
                await ReplicationSlots.DropAsync(source, slotName, slotName, context.CancellationToken);
                context.Info($"slot {slotName} and its publication dropped from {source.Redact()}");
                return ExitCodes.Ok;
            }

            var seconds = context.Get(flush);
            if (seconds is < 1 or > 3600)
            {
                throw new UsageException($"--flush must be 1 to 3600 seconds, not {seconds}");
            }

            var capture = new DatabaseSelection
            {
                Jobs = DatabaseOptions.ValidJobs(context.Get(jobs)),
                Schemas = context.Get(schema) ?? [],
                ExcludeSchemas = context.Get(excludeSchema) ?? [],
                Tables = context.Get(table) ?? [],
                ExcludeTables = context.Get(excludeTable) ?? [],
                PgBinDirectory = context.Get(DatabaseOptions.PgBin),
            }.ToCaptureOptions();
            var request = new ChangeFollowRequest(source, capture) { Slot = slotName, Flush = TimeSpan.FromSeconds(seconds), NewBase = context.Get(newBase) };
            _ = context.Password;
            var progress = new LatestProgress<ChangeRecordingProgress>();
            try
            {
                await using (Progress.Start(context.ShowProgress, _ => progress.Value is { } p
                    ? $"follow: {p.Transactions} transaction(s), {p.Segments} segment(s), durable to {LogPosition.Format(p.DurableLsn)}"
                    : "follow: starting"))
                {
                    await new ChangeFollow(context.RepositoryOpener).RunAsync(
                        request,
                        started => context.Info(string.Create(CultureInfo.InvariantCulture,
                            $"following {source.Redact()} on slot {started.Slot}: base {started.BaseSnapshot[..8]}{(started.Resumed ? " (resumed)" : "")}, log from {LogPosition.Format(started.FromLsn)}")),
                        progress,
                        context.CancellationToken);
                }
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                context.Info($"stopped; the log is durable up to {(progress.Value is { } p ? LogPosition.Format(p.DurableLsn) : "its last segment")}, the slot stays (follow again to resume, follow --stop to drop it)");
                return ExitCodes.Ok;
            }

            return ExitCodes.Ok;
        });
    }
}
