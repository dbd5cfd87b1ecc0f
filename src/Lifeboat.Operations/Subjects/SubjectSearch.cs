using System.Globalization;
using System.Security.Cryptography;
using Lifeboat.Operations.Audit;
using Lifeboat.Postgres;
using Lifeboat.Postgres.Subjects;
using Lifeboat.Repository;

namespace Lifeboat.Operations.Subjects;

/// <summary>What subject show and export are asked: the snapshot, the scratch server, and the subject.</summary>
public sealed record SubjectRequest
{
    /// <summary>A snapshot id (or prefix), or <c>latest</c>.</summary>
    public required string Snapshot { get; init; }

    /// <summary>The scratch server: a database is created there for the search and dropped afterwards.</summary>
    public required PgConnectionInfo Scratch { get; init; }

    /// <summary>The root table, its WHERE, and the links beyond the foreign keys.</summary>
    public required SubjectQuery Query { get; init; }
}

/// <summary>What a search found.</summary>
/// <param name="Snapshot">The snapshot's full id.</param>
/// <param name="SnapshotTime">When it was taken.</param>
/// <param name="Database">The database it holds.</param>
/// <param name="Root">The root table, <c>schema.name</c>.</param>
/// <param name="Tables">Every table reached, parents first, with the subject's rows and the path.</param>
/// <param name="Notes">Tables reached that the snapshot holds no rows of, and the like.</param>
/// <param name="BytesRead">Bytes read from the repository (the manifest, the schema and the streams of the tables reached).</param>
/// <param name="Seconds">How long the search took.</param>
public sealed record SubjectFound(string Snapshot, DateTimeOffset SnapshotTime, string Database, string Root, IReadOnlyList<SubjectTable> Tables,
    IReadOnlyList<string> Notes, long BytesRead, double Seconds)
{
    /// <summary>The subject's rows in all tables.</summary>
    public long Rows => Tables.Sum(t => t.Rows);
}

/// <summary>
/// Finds a subject (a root row and every row that depends on it) in a database snapshot, in a scratch database on
/// the scratch server that only the tables reached are loaded into; shows it, or exports its rows
/// (<see cref="SubjectExport"/>). Runs under a shared lock and appends an audit record (the root table and the
/// counts; never the WHERE, which names the person).
/// </summary>
public sealed class SubjectSearch(IRepositoryOpener opener)
{
    /// <summary>Finds the subject and says where its rows are.</summary>
    public Task<SubjectFound> ShowAsync(SubjectRequest request, CancellationToken cancellationToken) =>
        RunAsync(request, "subject show", (found, _, _) => Task.FromResult(found), f => f, null, cancellationToken);

    /// <summary>Finds the subject, then hands its rows to <paramref name="use"/> (while the scratch database still holds them).</summary>
    internal async Task<T> RunAsync<T>(SubjectRequest request, string operation, Func<SubjectFound, SubjectRows, CancellationToken, Task<T>> use,
        Func<T, SubjectFound> found, Func<T, IReadOnlyDictionary<string, string>>? details, CancellationToken cancellationToken)
    {
        var repository = await opener.OpenAsync(cancellationToken);
        return await OperationAudit.RunAsync(
            repository, operation, ct => RunCoreAsync(repository, request, use, ct),
            (result, _) => Task.FromResult(Facts(found(result), details?.Invoke(result))), cancellationToken);
    }

    private static async Task<T> RunCoreAsync<T>(BackupRepository repository, SubjectRequest request, Func<SubjectFound, SubjectRows, CancellationToken, Task<T>> use,
        CancellationToken cancellationToken)
    {
        var clock = repository.Context.Time.GetTimestamp();
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "subject", cancellationToken);
        var (record, source, manifest) = await DatabaseRestore.OpenAsync(repository, request.Snapshot, cancellationToken);
        // the root table is looked up before a scratch database is made for nothing
        SubjectRows.RequireRoot(manifest, request.Query.Root);
        var name = $"lifeboat_subject_{record.ShortId}_{repository.Context.Time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
        var scratch = await ScratchDatabase.CreateAsync(request.Scratch.WithDatabase(name), record.Id.ToString(), repository.Context.Notice, cancellationToken, "subject search");
        try
        {
            await using var rows = await SubjectRows.FindAsync(source, manifest, scratch.Connection, request.Query, cancellationToken);
            var found = new SubjectFound(record.Id.ToString(), record.Snapshot.Time, manifest.Database, rows.Root, rows.Tables, rows.Notes,
                source.BytesRead, repository.Context.Time.GetElapsedTime(clock).TotalSeconds);
            return await use(found, rows, cancellationToken);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await scratch.DropAsync(timeout.Token);
            }
            catch (Exception e) when (e is PostgresLifeboatException or OperationCanceledException or InvalidOperationException)
            {
                repository.Context.Notice?.Invoke($"could not drop the scratch database \"{name}\" ({e.Message}): drop it by hand");
            }
        }
    }

    private static AuditFacts Facts(SubjectFound found, IReadOnlyDictionary<string, string>? more)
    {
        var details = new Dictionary<string, string>
        {
            ["root"] = found.Root,
            ["tables"] = string.Join(", ", found.Tables.Where(t => t.Rows > 0).Select(t => $"{t.Table}={t.Rows.ToString(CultureInfo.InvariantCulture)}")),
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string>())
            details[key] = value;
        return new AuditFacts { Source = found.Database, Snapshots = [found.Snapshot], Bytes = found.BytesRead, Details = details };
    }
}
