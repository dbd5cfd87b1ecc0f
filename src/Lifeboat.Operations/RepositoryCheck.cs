using Lifeboat.Repository;
using Lifeboat.Repository.Check;

namespace Lifeboat.Operations;

/// <summary>Runs <c>check</c> under a shared lock.</summary>
public sealed class RepositoryCheck(Repository.Repository repository)
{
    public Checker Checker { get; } = new(repository);

    public async Task<CheckReport> RunAsync(CheckOptions options, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "check", cancellationToken);
        return await Checker.RunAsync(options, cancellationToken);
    }
}
