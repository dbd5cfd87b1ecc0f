using Lifeboat.Postgres;
using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>A database snapshot as a plain SQL script that psql loads into an empty database: no lock-in.</summary>
public sealed class SqlDump(BackupRepository repository)
{
    public async Task RunAsync(string snapshot, Stream output, string? pgBinDirectory, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "dump", cancellationToken);
        var (_, source, manifest) = await DatabaseRestore.OpenAsync(repository, snapshot, cancellationToken);
        await PlainSqlWriter.WriteAsync(source, manifest, output, pgBinDirectory, cancellationToken);
    }
}
