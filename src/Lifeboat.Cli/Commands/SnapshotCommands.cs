using System.CommandLine;
using Lifeboat.Operations;
using Lifeboat.Repository;

namespace Lifeboat.Cli.Commands;

/// <summary><c>snapshots</c>, <c>ls</c> and <c>dump</c>.</summary>
internal static class SnapshotCommands
{
    private static readonly Argument<string> SnapshotArgument = new("SNAPSHOT") { Description = "A snapshot id (or its first digits), or 'latest'" };

    public static Command List()
    {
        var tag = new Option<string[]>("--tag") { Description = "Only snapshots with this tag (repeatable: any of them)" };
        var changes = new Option<bool>("--changes") { Description = "List the bases of 'follow' and what their change log covers (from, to, gaps)" };
        var command = new Command("snapshots", "List the snapshots, oldest first") { tag, changes };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            if (context.Get(changes))
            {
                return await ChangeLogListing.WriteAsync(context, repository);
            }

            var tags = context.Get(tag) ?? [];
            // a damaged snapshot is listed as such (its tags are unknown, so with or without --tag) and the
            // command exits 3 after listing the others: one bad object must not hide the good ones
            var (readable, damaged) = await SnapshotStore.LoadReadableAsync(repository, context.CancellationToken);
            var records = readable.Where(r => tags.Length == 0 || r.Snapshot.Tags.Any(tags.Contains)).ToList();
            var exit = damaged.Count > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
            if (context.Json)
            {
                IReadOnlyList<SnapshotListItem> items =
                [
                    .. records.Select(r => new SnapshotListItem(
                        r.Id.ToString(), r.ShortId, r.Snapshot.Time, r.Snapshot.Host, r.Snapshot.User, r.Snapshot.Kind, r.Snapshot.Source,
                        r.Snapshot.Tags, r.Snapshot.TotalSize, r.Snapshot.Streams.Count, r.Snapshot.Summary, r.Snapshot.CopiedFrom)),
                    .. damaged.OrderBy(d => d.Id.ToString(), StringComparer.Ordinal).Select(d => new SnapshotListItem(d.Id.ToString(), d.Id.Short, Damaged: d.Error.Message)),
                ];
                context.WriteJson(items);
                return exit;
            }

            Console.Out.WriteLine($"{"ID",-10} {"TIME",-20} {"HOST",-16} {"SOURCE",-30} {"SIZE",10}  TAGS");
            foreach (var r in records)
            {
                var s = r.Snapshot;
                Console.Out.WriteLine($"{r.ShortId,-10} {s.Time.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {Clip(s.Host, 16),-16} {Clip(s.Source, 30),-30} {Bytes.Format(s.TotalSize),10}  {string.Join(",", s.Tags)}");
            }

            foreach (var (id, error) in damaged.OrderBy(d => d.Id.ToString(), StringComparer.Ordinal))
            {
                Console.Out.WriteLine($"{id.Short,-10} DAMAGED: {error.Message}");
            }

            context.Info($"{records.Count} snapshot(s)");
            if (damaged.Count > 0)
            {
                Console.Error.WriteLine($"error: {damaged.Count} snapshot(s) cannot be read and cannot be restored: " +
                    DamagedSnapshot.Remedy(string.Join(' ', damaged.Select(d => d.Id.Short))));
            }

            return exit;
        });
    }

    public static Command Ls()
    {
        var command = new Command("ls", "List the streams in a snapshot, the files of a directory snapshot, or the objects of a bucket snapshot") { SnapshotArgument };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var record = await SnapshotStore.FindAsync(repository, context.Get(SnapshotArgument)!, context.CancellationToken);
            if (record.Snapshot.Kind == Repository.Directories.DirectoryManifest.Kind)
            {
                return DirectoryCommands.List(context, record);
            }

            if (record.Snapshot.Kind == Repository.Buckets.BucketManifest.Kind)
            {
                return BucketCommands.List(context, record);
            }

            if (context.Json)
            {
                context.WriteJson(new StreamListOutput(
                    record.Id.ToString(), record.Snapshot.Time, [.. record.Snapshot.Streams.Select(s => new StreamListItem(s.Name, s.Size, s.Sha256))]));
                return ExitCodes.Ok;
            }

            foreach (var stream in record.Snapshot.Streams)
            {
                Console.Out.WriteLine($"{Bytes.Format(stream.Size),10}  {stream.Sha256[..16]}  {stream.Name}");
            }

            return ExitCodes.Ok;
        });
    }

    public static Command Dump()
    {
        var name = new Argument<string?>("NAME") { Description = "The stream's name (see 'lifeboat ls SNAPSHOT'); not needed with --format sql", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output") { Description = "Write to this file (created only when complete and verified) instead of stdout" };
        var format = new Option<string>("--format") { Description = "raw: a stream's bytes; sql: a database snapshot as a plain SQL script for psql", DefaultValueFactory = _ => "raw" };
        format.AcceptOnlyFromAmong("raw", "sql");
        var command = new Command("dump", "Write a stream of a snapshot, or a database snapshot as SQL, to stdout or a file, verified") { SnapshotArgument, name, output, format, DatabaseOptions.PgBin };
        return command.WithAction(async context =>
        {
            var path = context.Get(output);
            if (path is null && !Console.IsOutputRedirected && !context.Quiet)
            {
                throw new UsageException("stdout is a terminal: redirect it (> file, | pg_restore ...) or use --output FILE");
            }

            var streamName = context.Get(name);
            var sql = context.Get(format) == "sql";
            if (!sql && streamName is null)
            {
                throw new UsageException("say which stream: lifeboat dump SNAPSHOT NAME (see 'lifeboat ls SNAPSHOT'), or --format sql for a database snapshot");
            }

            var repository = await context.OpenRepositoryAsync();
            var progress = new LatestProgress<DumpProgress>();
            var dump = new StreamDump(repository, context.Connections * 2, progress);
            Func<Stream, Task> write = sql
                ? target => new SqlDump(repository).RunAsync(context.Get(SnapshotArgument)!, target, context.Get(DatabaseOptions.PgBin), context.CancellationToken)
                : target => dump.RunAsync(context.Get(SnapshotArgument)!, streamName!, target, context.CancellationToken);

            await using (Progress.Start(context.ShowProgress, elapsed =>
                $"dump: {Progress.Transfer(progress.Value?.BytesWritten ?? 0, progress.Value?.Size, elapsed)}"))
            {
                if (path is null)
                {
                    await using var stdout = Console.OpenStandardOutput();
                    await write(stdout);
                }
                else
                {
                    await WriteFileAsync(path, write);
                }
            }

            return ExitCodes.Ok;
        });

        static async Task WriteFileAsync(string path, Func<Stream, Task> write)
        {
            var full = Path.GetFullPath(path);
            if (File.Exists(full))
            {
                throw new UsageException($"{full} exists already: choose another --output or remove it first");
            }

            var temporary = full + ".lifeboat-partial";
            try
            {
                await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
                {
                    await write(file);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temporary, full, overwrite: false);
            }
            finally
            {
                File.Delete(temporary);
            }
        }
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
