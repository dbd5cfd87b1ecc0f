using System.CommandLine;
using System.Globalization;
using Lifeboat.Operations;
using Lifeboat.Repository;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Cli.Commands;

/// <summary><c>forget</c>, <c>hold</c>, <c>unhold</c> and <c>holds</c>.</summary>
internal static class RetentionCommands
{
    private static readonly Argument<string> SnapshotArgument = new("SNAPSHOT") { Description = "A snapshot id (or its first digits), or 'latest'" };

    public static IEnumerable<Command> All() => [Forget(), Hold(), Unhold(), Holds(), PruneCommands.Prune(), PruneCommands.Stats()];

    public static Command Forget()
    {
        var keepLast = new Option<int>("--keep-last") { Description = "Keep the newest N snapshots" };
        var counts = Enum.GetValues<CalendarUnit>().Select(unit => (Unit: unit, Option: new Option<int>($"--keep-{CalendarBuckets.Adjective(unit)}")
        {
            Description = $"Keep the newest snapshot of each of the last N {Noun(unit)}s that have snapshots",
        })).ToList();
        var within = new Option<string?>("--keep-within") { Description = "Keep every snapshot within this duration of the newest one, e.g. 30d, 12h, 1y2m" };
        var withins = Enum.GetValues<CalendarUnit>().Select(unit => (Unit: unit, Option: new Option<string?>($"--keep-within-{CalendarBuckets.Adjective(unit)}")
        {
            Description = $"Keep the newest snapshot of each {Noun(unit)} within this duration, e.g. 30d",
        })).ToList();
        var keepTag = new Option<string[]>("--keep-tag") { Description = "Keep every snapshot with this tag (repeatable)" };
        var tag = new Option<string[]>("--tag") { Description = "Apply the policy only to snapshots with this tag (repeatable: any of them; 'a,b': both)" };
        var timeZone = new Option<string>("--time-zone") { Description = "Time zone of the calendar buckets: an IANA name (Europe/Berlin), UTC or local", DefaultValueFactory = _ => "UTC" };
        var groupBy = new Option<string>("--group-by") { Description = "Snapshot properties that form a group the policy applies to: host,kind,source,tags or none", DefaultValueFactory = _ => "host,kind,source" };
        var minKeep = new Option<int>("--min-keep") { Description = "Refuse (exit 15, nothing removed) if a group would keep fewer snapshots; 0 allows emptying a group", DefaultValueFactory = _ => 1 };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Show what would be removed; remove nothing" };
        var prune = new Option<bool>("--prune") { Description = "Run prune afterwards to reclaim the space" };
        var maxUnused = PruneCommands.MaxUnusedOption();
        var snapshots = new Argument<string[]>("SNAPSHOT")
        {
            Description = "Snapshots to remove by id or unique prefix (at least 4 hex digits), instead of a policy; also damaged ones",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("forget", "Remove snapshots a retention policy does not keep, or the snapshots named (their data goes with prune)")
        {
            snapshots, keepLast, within, keepTag, tag, timeZone, groupBy, minKeep, dryRun, prune, maxUnused,
        };
        foreach (var option in counts.Select(c => c.Option).Concat<Option>(withins.Select(w => w.Option)))
        {
            command.Options.Add(option);
        }

        Option[] policyOptions = [keepLast, within, keepTag, tag, timeZone, groupBy, minKeep, .. counts.Select(c => c.Option), .. withins.Select(w => w.Option)];
        return command.WithAction(async context =>
        {
            var pruneOptions = context.Get(prune) ? new PruneOptions { MaxUnused = PruneOptions.ParseMaxUnused(context.Get(maxUnused)!) } : null;
            if (context.Get(snapshots) is { Length: > 0 } named)
            {
                var given = policyOptions.Where(o => context.ParseResult.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (given.Count > 0)
                {
                    throw new UsageException($"forget takes snapshot ids or a retention policy, not both: drop {string.Join(", ", given)} or the ids");
                }

                return await ForgetNamedAsync(context, named, context.Get(dryRun), pruneOptions);
            }

            var policy = new RetentionPolicy
            {
                KeepLast = context.Get(keepLast),
                Counts = [.. counts.Select(c => new CalendarCountRule(c.Unit, context.Get(c.Option)))],
                KeepWithin = context.Get(within) is { } w ? RetentionDuration.Parse(w) : null,
                WithinBuckets = [.. withins.Where(x => context.Get(x.Option) is not null).Select(x => new CalendarWithinRule(x.Unit, RetentionDuration.Parse(context.Get(x.Option)!)))],
                KeepTags = context.Get(keepTag) ?? [],
            };
            if (context.Get(minKeep) < 0)
            {
                throw new UsageException("--min-keep must be 0 or more");
            }

            var options = new ForgetOptions
            {
                Policy = policy,
                Select = [.. (context.Get(tag) ?? []).Select(t => (IReadOnlyList<string>)[.. t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)])],
                GroupBy = ParseGroupBy(context.Get(groupBy)!),
                TimeZone = CalendarBuckets.FindTimeZone(context.Get(timeZone)),
                MinKeep = context.Get(minKeep),
            };
            return await ForgetByPolicyAsync(context, options, context.Get(dryRun), pruneOptions);
        });
    }

    /// <summary><c>forget</c> with a policy: applies it (refusing past --min-keep), reports, and prunes when asked.</summary>
    private static async Task<int> ForgetByPolicyAsync(CliContext context, ForgetOptions options, bool dryRun, PruneOptions? pruneOptions)
    {
        var repository = await context.OpenRepositoryAsync();
        var progress = new LatestProgress<PruneProgress>();
        var operation = new ForgetOperation(repository, progress);
        ForgetResult result;
        try
        {
            await using (Progress.Start(context.ShowProgress, _ => ForgetProgress(progress)))
            {
                result = await operation.RunAsync(options, dryRun, pruneOptions, context.CancellationToken);
            }
        }
        catch (RetentionGuardException refused) when (!context.Json)
        {
            RetentionOutput.WriteTable(refused.Plan, dryRun: true);
            throw;
        }

        if (context.Json)
        {
            context.WriteJson(RetentionOutput.ToJson(result, options.Policy));
            return ExitCodes.Ok;
        }

        if (!context.Quiet)
        {
            RetentionOutput.WriteTable(result.Plan, result.DryRun);
        }

        var verb = result.DryRun ? "would remove" : "removed";
        context.Info($"{verb} {result.Removed} snapshot(s), kept {result.Plan.ToKeep.Count()} ({options.Policy.Describe()}; buckets in {result.Plan.TimeZone.Id})");
        WritePruneOrHint(context, result.Prune, result.Removed, result.DryRun);
        return ExitCodes.Ok;
    }

    /// <summary>Forget's progress line: reading snapshots until the prune after it reports.</summary>
    private static string ForgetProgress(LatestProgress<PruneProgress> prune) =>
        prune.Value is { } p ? PruneCommands.Describe(p) : "forget: reading snapshots";

    /// <summary><c>forget ID...</c>: the snapshots named, also those whose object cannot be read.</summary>
    private static async Task<int> ForgetNamedAsync(CliContext context, string[] references, bool dryRun, PruneOptions? pruneOptions)
    {
        var repository = await context.OpenRepositoryAsync();
        var progress = new LatestProgress<PruneProgress>();
        var operation = new ForgetOperation(repository, progress);
        NamedForgetResult result;
        await using (Progress.Start(context.ShowProgress, _ => ForgetProgress(progress)))
        {
            result = await operation.RunNamedAsync(references, dryRun, pruneOptions, context.CancellationToken);
        }

        if (context.Json)
        {
            context.WriteJson(RetentionOutput.ToJson(result));
            return ExitCodes.Ok;
        }

        if (!context.Quiet)
        {
            RetentionOutput.WriteTable(result);
        }

        var damaged = result.Snapshots.Count(s => s.Damage is not null);
        context.Info($"{(result.DryRun ? "would remove" : "removed")} {result.Removed} snapshot(s){(damaged > 0 ? $", {damaged} of them damaged" : "")}");
        WritePruneOrHint(context, result.Prune, result.Removed, result.DryRun);
        return ExitCodes.Ok;
    }

    private static void WritePruneOrHint(CliContext context, PruneReport? prune, int removed, bool dryRun)
    {
        if (prune is not null)
        {
            PruneCommands.WriteReport(context, prune);
        }
        else if (removed > 0 && !dryRun)
        {
            context.Info("the data of removed snapshots stays until 'lifeboat prune'");
        }
    }

    public static Command Hold()
    {
        var until = new Option<string>("--until") { Description = "When the hold ends: a date (held through that UTC day), a date and time, a duration from now (30d), or 'forever'", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why, e.g. 'pre-migration, until verified'", Required = true };
        var command = new Command("hold", "Protect a snapshot from forget until a date, or until released") { SnapshotArgument, until, reason };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var end = ParseUntil(context.Get(until)!, repository.Context.Time.GetUtcNow());
            var (snapshot, hold) = await new RetentionQueries(repository).HoldAsync(context.Get(SnapshotArgument)!, end, context.Get(reason)!, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(new HoldOutput(snapshot.Id.ToString(), hold.ToString(), end, context.Get(reason)));
            }
            else
            {
                context.Info($"held snapshot {snapshot.ShortId} {(end is { } e ? $"until {e:yyyy-MM-dd HH:mm}Z" : "forever")} ({context.Get(reason)}); hold {hold.Short}");
            }

            return ExitCodes.Ok;
        });
    }

    public static Command Unhold()
    {
        var reason = new Option<string>("--reason") { Description = "Why the hold ends (recorded)", DefaultValueFactory = _ => "released" };
        var command = new Command("unhold", "Release the holds of a snapshot (the records stay, for audit)") { SnapshotArgument, reason };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var (snapshot, released) = await new RetentionQueries(repository).UnholdAsync(context.Get(SnapshotArgument)!, context.Get(reason)!, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(new UnholdOutput(snapshot.ToString(), [.. released.Select(h => h.Id.ToString())]));
            }
            else
            {
                context.Info($"released {released.Count} hold(s) of snapshot {snapshot.Short}");
            }

            return ExitCodes.Ok;
        });
    }

    public static Command Holds()
    {
        var all = new Option<bool>("--all") { Description = "Also list expired and released holds" };
        var command = new Command("holds", "List the holds that protect snapshots from forget") { all };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var now = repository.Context.Time.GetUtcNow();
            var holds = (await new RetentionQueries(repository).ListHoldsAsync(context.CancellationToken))
                .Where(h => context.Get(all) || h.IsActive(now))
                .ToList();
            string State(HoldEntry h) => h.ReleasedBy is not null ? "released" : h.IsActive(now) ? "active" : "expired";
            if (context.Json)
            {
                IReadOnlyList<HoldListItem> items =
                [
                    .. holds.Select(h => new HoldListItem(
                        h.Id.ToString(), h.Record.Snapshot, h.Record.Until, h.Record.Reason, $"{h.Record.User}@{h.Record.Host}", h.Record.Time, State(h),
                        h.ReleasedBy is { } r ? new HoldRelease(r.Time, $"{r.User}@{r.Host}", r.Reason) : null)),
                ];
                context.WriteJson(items);
                return ExitCodes.Ok;
            }

            Console.Out.WriteLine($"{"SNAPSHOT",-10} {"UNTIL",-18} {"STATE",-9} {"SINCE",-17} {"BY",-24} REASON");
            foreach (var h in holds)
            {
                var untilText = h.Record.Until is { } u ? u.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z" : "forever";
                Console.Out.WriteLine($"{h.Record.Snapshot[..8],-10} {untilText,-18} {State(h),-9} {h.Record.Time.UtcDateTime,-17:yyyy-MM-dd HH:mm} {h.Record.User + "@" + h.Record.Host,-24} {h.Record.Reason}");
            }

            context.Info($"{holds.Count} hold(s)");
            return ExitCodes.Ok;
        });
    }

    /// <summary>null for 'forever'.</summary>
    internal static DateTimeOffset? ParseUntil(string text, DateTimeOffset now)
    {
        if (string.Equals(text, "forever", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (RetentionDuration.TryParse(text, out var duration))
        {
            return duration.AddTo(now, TimeZoneInfo.Utc);
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new DateTimeOffset(date.AddDays(1), TimeOnly.MinValue, TimeSpan.Zero);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new UsageException($"--until '{text}' is not a date (2026-12-31), a date and time (2026-12-31T18:00:00Z), a duration (30d) or 'forever'");
    }

    private static GroupBy ParseGroupBy(string text)
    {
        var result = GroupBy.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result |= part.ToLowerInvariant() switch
            {
                "host" => GroupBy.Host,
                "kind" => GroupBy.Kind,
                "source" => GroupBy.Source,
                "tags" => GroupBy.Tags,
                "none" => GroupBy.None,
                _ => throw new UsageException($"--group-by '{part}' is not one of host, kind, source, tags, none"),
            };
        }

        return result;
    }

    private static string Noun(CalendarUnit unit) => unit.ToString().ToLowerInvariant();
}
