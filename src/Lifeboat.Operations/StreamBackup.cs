using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Operations;

/// <summary>What <see cref="StreamBackup"/> backs up: a byte stream, its name in the snapshot, and the snapshot's labels.</summary>
/// <param name="Name">The stream's name in the snapshot (1 to 1024 printable characters).</param>
/// <param name="Input">The bytes, read to the end.</param>
public sealed record StreamBackupRequest(string Name, Stream Input)
{
    /// <summary>Tags of the snapshot.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The time to record instead of now (e.g. importing old dumps).</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Save an empty stream; by default an empty input is refused (<see cref="EmptyInputException"/>).</summary>
    public bool AllowEmpty { get; init; }

    /// <summary>Further repositories the new snapshot is copied to (<see cref="SnapshotCopies"/>): opened before the input is read.</summary>
    public IReadOnlyList<IRepositoryOpener> AlsoTo { get; init; } = [];
}

/// <summary>The outcome of a stream backup.</summary>
/// <param name="Record">The snapshot, committed.</param>
/// <param name="Warnings">E.g. that it is far smaller than the previous one of that name (<see cref="SizeDrop"/>).</param>
/// <param name="Copies">The copies to the <see cref="StreamBackupRequest.AlsoTo"/> repositories, still to be made.</param>
public sealed record StreamBackupResult(SnapshotRecord Record, IReadOnlyList<string> Warnings, SnapshotCopies Copies);

/// <summary>Backs up one byte stream (e.g. <c>pg_dump -Fc</c> on stdin) as a snapshot.</summary>
public sealed class StreamBackup(IRepositoryOpener repository, BackupWriterOptions options)
{
    /// <summary>The snapshot kind of a stream backup.</summary>
    public const string Kind = "stream";

    /// <summary>Said at the end of a warning that a stream is far smaller than the previous one of that name.</summary>
    public const string SizeDropAdvice = "check that the program piping it in (e.g. pg_dump) did not fail or stop half-way";

    /// <summary>
    /// Opens the repository (and the <see cref="StreamBackupRequest.AlsoTo"/> ones), backs up, then records
    /// evidence and an audit record (a failure is audited too). <paramref name="progress"/> is told of the
    /// bytes read and stored (tables are zero).
    /// </summary>
    public async Task<StreamBackupResult> RunAsync(StreamBackupRequest request, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var opened = await repository.OpenAsync(cancellationToken);
        var targets = await SnapshotCopies.OpenAsync(request.AlsoTo, cancellationToken);
        var started = opened.Context.Time.GetUtcNow();
        var (record, warnings) = await OperationAudit.RunAsync(
            opened, "backup", ct => BackupAsync(opened, request, progress, ct),
            (done, ct) => OperationEvidence.ForBackupAsync(opened, done.Record, null, done.Warnings, started, ct), cancellationToken, request.Name);
        return new StreamBackupResult(record, warnings, new SnapshotCopies(opened, record, targets));
    }

    private async Task<(SnapshotRecord Record, IReadOnlyList<string> Warnings)> BackupAsync(
        BackupRepository repository, StreamBackupRequest request, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        ValidateName(request.Name);
        var input = request.AllowEmpty ? request.Input : await NonEmptyInput.OpenAsync(request.Input, cancellationToken);
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", cancellationToken);
        var sizeDrop = SizeDrop.Start(repository, Kind, request.Name, null, cancellationToken);
        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var reporter = progress is null ? null : new Reporter(progress);
        var writer = new BackupWriter(repository, index, options with { Lock = held, Progress = reporter });
        reporter?.Report(writer.Stats);
        await writer.AddStreamAsync(request.Name, input, cancellationToken);
        var record = await writer.CommitAsync(
            new SnapshotDescription(Kind, request.Name, request.Tags, ProgramInfo.Name) { Time = request.Time },
            cancellationToken);
        return (record, await sizeDrop.WarningsAsync(record, SizeDropAdvice));
    }

    /// <summary>A stream name the user gives (<c>--name</c>): 1 to 1024 printable characters.</summary>
    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 1024 || name.Any(char.IsControl))
        {
            throw new InvalidRequestException($"'{name}' is not a usable stream name: use 1 to 1024 printable characters, e.g. --name db.dump");
        }
    }

    /// <summary>Turns the writer's counters into <see cref="BackupProgress"/> records.</summary>
    private sealed class Reporter(IProgress<BackupProgress> progress) : IProgress<BackupStats>
    {
        public void Report(BackupStats value) => progress.Report(new BackupProgress(0, 0, value.BytesRead, null, value.StoredBytes));
    }
}
