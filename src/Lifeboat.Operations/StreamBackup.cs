using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Operations;

/// <summary>Backs up one byte stream (e.g. <c>pg_dump -Fc</c> on stdin) as a snapshot.</summary>
public sealed class StreamBackup(BackupRepository repository, BackupWriterOptions options)
{
    /// <summary>The snapshot kind of a stream backup.</summary>
    public const string Kind = "stream";

    /// <summary>Said at the end of a warning that a stream is far smaller than the previous one of that name.</summary>
    public const string SizeDropAdvice = "check that the program piping it in (e.g. pg_dump) did not fail or stop half-way";

    /// <summary>Created when the backup starts; poll it for progress.</summary>
    public BackupWriter? Writer { get; private set; }

    /// <summary>Save an empty stream; by default an empty input is refused (<see cref="EmptyInputException"/>).</summary>
    public bool AllowEmpty { get; init; }

    /// <summary>Set once the snapshot is committed: e.g. that it is far smaller than the previous one of that name (<see cref="SizeDrop"/>).</summary>
    public IReadOnlyList<string> Warnings { get; private set; } = [];

    /// <summary>Backs up, then records evidence and an audit record (a failure is audited too).</summary>
    public Task<SnapshotRecord> RunAsync(
        string name, Stream input, IReadOnlyList<string> tags, DateTimeOffset? time, CancellationToken cancellationToken)
    {
        var started = repository.Context.Time.GetUtcNow();
        return OperationAudit.RunAsync(repository, "backup", ct => RunCoreAsync(name, input, tags, time, ct),
            (record, ct) => OperationEvidence.ForBackupAsync(repository, record, null, Warnings, started, ct), cancellationToken, name);
    }

    private async Task<SnapshotRecord> RunCoreAsync(
        string name, Stream input, IReadOnlyList<string> tags, DateTimeOffset? time, CancellationToken cancellationToken)
    {
        StreamNames.Validate(name);
        if (!AllowEmpty)
        {
            input = await NonEmptyInput.OpenAsync(input, cancellationToken);
        }

        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", cancellationToken);
        var sizeDrop = SizeDrop.Start(repository, Kind, name, null, cancellationToken);
        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        Writer = new BackupWriter(repository, index, options with { Lock = held });
        await Writer.AddStreamAsync(name, input, cancellationToken);
        var record = await Writer.CommitAsync(
            new SnapshotDescription(Kind, name, tags, ProgramInfo.Name) { Time = time },
            cancellationToken);
        Warnings = await sizeDrop.WarningsAsync(record, SizeDropAdvice);
        return record;
    }
}

/// <summary>Rules for stream names inside a snapshot.</summary>
public static class StreamNames
{
    public static void Validate(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 1024 || name.Any(char.IsControl))
        {
            throw new InvalidRequestException($"'{name}' is not a usable stream name: use 1 to 1024 printable characters, e.g. --name db.dump");
        }
    }
}

/// <summary>The program's name and version, as recorded in snapshots and reports.</summary>
public static class ProgramInfo
{
    public static string Version { get; } =
        typeof(ProgramInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static string Name { get; } = "lifeboat " + Version;
}
