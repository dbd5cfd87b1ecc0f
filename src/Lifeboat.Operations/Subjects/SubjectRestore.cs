using System.Globalization;
using Lifeboat.Postgres;
using Lifeboat.Postgres.Subjects;

namespace Lifeboat.Operations.Subjects;

/// <summary>Where subject restore writes and how.</summary>
/// <param name="Target">The live database the rows go into.</param>
/// <param name="OnConflict">What a row whose key is live with other values does.</param>
/// <param name="DryRun">Do everything, list every change, then roll back.</param>
public sealed record SubjectRestoreRequest(PgConnectionInfo Target, SubjectConflict OnConflict, bool DryRun);

/// <summary>What subject restore did (or, with a dry run, would do).</summary>
/// <param name="Subject">The subject found in the snapshot.</param>
/// <param name="Target">The target, redacted (no password).</param>
/// <param name="OnConflict">skip, update or fail.</param>
/// <param name="DryRun">Nothing was changed.</param>
/// <param name="Tables">Per table, parents first: rows inserted, updated, skipped.</param>
/// <param name="Changes">Every change, row by row (a dry run only).</param>
/// <param name="RtoSeconds">From the start (opening the repository) to the commit: the recovery time of this path.</param>
public sealed record SubjectRestoreResult(SubjectFound Subject, string Target, string OnConflict, bool DryRun, IReadOnlyList<SubjectTableRestored> Tables,
    IReadOnlyList<SubjectChange> Changes, double RtoSeconds)
{
    /// <summary>Rows inserted in all tables.</summary>
    public long Inserted => Tables.Sum(t => t.Inserted);

    /// <summary>Rows updated in all tables.</summary>
    public long Updated => Tables.Sum(t => t.Updated);

    /// <summary>Rows skipped in all tables.</summary>
    public long Skipped => Tables.Sum(t => t.Skipped);
}

/// <summary>
/// Brings a subject's rows back from a snapshot into a live database (see <see cref="SubjectRows.RestoreAsync"/>):
/// found in a scratch database on the scratch server (by default the target's), then inserted in foreign-key order in
/// one transaction. Audited as <c>subject restore</c> (counts, never the WHERE).
/// </summary>
public sealed class SubjectRestore(IRepositoryOpener opener, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Finds the subject and restores its rows.</summary>
    public async Task<SubjectRestoreResult> RunAsync(SubjectRequest request, SubjectRestoreRequest restore, CancellationToken cancellationToken)
    {
        var start = _time.GetTimestamp();
        return await new SubjectSearch(opener).RunAsync(request, "subject restore",
            async (found, rows, ct) =>
            {
                var report = await rows.RestoreAsync(restore.Target, restore.OnConflict, restore.DryRun, ct);
                return new SubjectRestoreResult(found, restore.Target.Redact(), restore.OnConflict.ToString().ToLowerInvariant(), restore.DryRun,
                    report.Tables, report.Changes, _time.GetElapsedTime(start).TotalSeconds);
            },
            r => r.Subject,
            r => new Dictionary<string, string>
            {
                ["target"] = restore.Target.Database,
                ["onConflict"] = r.OnConflict,
                ["dryRun"] = r.DryRun ? "true" : "false",
                ["restored"] = string.Join(", ", r.Tables.Select(t => string.Create(CultureInfo.InvariantCulture,
                    $"{t.Table}=+{t.Inserted}/~{t.Updated}/={t.Skipped}"))),
                ["rtoSeconds"] = r.RtoSeconds.ToString("0.000", CultureInfo.InvariantCulture),
            },
            cancellationToken);
    }
}
