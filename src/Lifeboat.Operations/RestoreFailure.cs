using Lifeboat.Postgres;

namespace Lifeboat.Operations;

/// <summary>
/// What a failed restore does with what it loaded: drops the database it created, or empties the
/// existing target again (it was empty, or cleaned by <c>--clean</c>); with <c>--keep-failed</c> it
/// keeps it, marked incomplete. Table and row restores run in one transaction and leave nothing.
/// </summary>
internal static class RestoreFailure
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Cleans up after a failure; returns what is left, or null when the failure left the target as it was.</summary>
    public static async Task<RestoreAftermath?> AbandonAsync(StagedDatabase? staged, PostgresRestore restore, DatabaseRestoreRequest request, BackupManifest manifest, string why)
    {
        var ledger = restore.Ledger;
        var name = request.Target.Database;
        var roles = !ledger.GlobalsApplied ? "" : " The roles and tablespaces it created stay: they belong to the server, not to the database.";
        if (staged is not null)
        {
            if (request.KeepFailed)
            {
                var kept = await staged.KeepAsync(OperationAuditText(why));
                return RestoreAftermath.Incomplete(kept, "kept", ledger, manifest, null,
                    $"KEPT INCOMPLETE for inspection (--keep-failed): database \"{kept}\" holds part of the snapshot (the restore failed during {ledger.Step})",
                    $"Drop it (DROP DATABASE \"{kept}\") before restoring again.{roles}");
            }

            var dropError = await staged.TryDropAsync();
            return dropError is null
                ? new RestoreAftermath
                {
                    Database = name,
                    FailedStep = ledger.Step,
                    LeftBehind = "nothing",
                    Summary = $"Nothing was left behind: database \"{name}\" was not created (the incomplete restore was dropped).{roles}",
                }
                : RestoreAftermath.Incomplete(staged.Staging.Database, "staging", ledger, manifest, dropError,
                    $"LEFT BEHIND: database \"{staged.Staging.Database}\" holds an incomplete restore that could not be dropped ({dropError}); \"{name}\" was not created",
                    $"Drop it by hand: DROP DATABASE \"{staged.Staging.Database}\".{roles}");
        }

        // a table or row restore is one transaction; a whole restore that failed before it wrote anything left the target as it was
        if (request.Mode is not RestoreMode.WholeDatabase || !ledger.TargetChanged)
        {
            return null;
        }

        if (request.KeepFailed)
        {
            return RestoreAftermath.Incomplete(name, "kept", ledger, manifest, null,
                $"TARGET IS INCOMPLETE (kept by --keep-failed): database \"{name}\" holds part of the snapshot (the restore failed during {ledger.Step})",
                $"Restore again with --clean to replace it, or drop it.{roles}");
        }

        using var timeout = new CancellationTokenSource(CleanupTimeout);
        var platform = manifest.Options.Profile == SupabaseProfile.Name;
        try
        {
            await PostgresRestore.EmptyAfterFailureAsync(request.Target, platform, timeout.Token);
        }
        catch (Exception e) when (e is PostgresLifeboatException or OperationCanceledException or IOException)
        {
            return RestoreAftermath.Incomplete(name, "incomplete", ledger, manifest, e.Message,
                $"TARGET IS INCOMPLETE: database \"{name}\" holds part of the snapshot (the restore failed during {ledger.Step}, and removing what it created failed: {e.Message})",
                $"Restore again with --clean, or drop and recreate the database.{roles}");
        }

        if (ledger.LoadedIntoExistingTables)
        {
            return RestoreAftermath.Incomplete(name, "incomplete", ledger, manifest, "rows loaded into the platform's tables cannot be told from theirs",
                $"TARGET IS INCOMPLETE: the restore failed during {ledger.Step}; what it created in \"{name}\" was removed, but the rows it loaded into the platform's tables ({string.Join(", ", manifest.DataOnlyTablesInLoadOrder().Select(t => t.Schema + "." + t.Name))}) stay",
                $"Delete them, or restore again with --clean.{roles}");
        }

        return new RestoreAftermath
        {
            Database = name,
            FailedStep = ledger.Step,
            LeftBehind = "empty",
            Summary = $"What the restore created in \"{name}\" was removed: the database is empty again{(request.Mode is RestoreMode.WholeDatabase { Options.Clean: true } ? " (its earlier contents were dropped by --clean before the restore began)" : "")}.{roles}",
        };
    }

    private static string OperationAuditText(string why) => Audit.OperationAudit.ErrorText(why.Length <= 300 ? why : why[..300] + "…");
}
