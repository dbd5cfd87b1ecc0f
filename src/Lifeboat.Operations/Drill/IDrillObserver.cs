using Lifeboat.Postgres;

namespace Lifeboat.Operations.Drill;

/// <summary>
/// Told of a drill's restored database before the drill proves it: the checks run once
/// <see cref="RestoredAsync"/> returns (tests change the data there to see the checks catch it).
/// </summary>
public interface IDrillObserver
{
    /// <summary>The snapshot is restored into <paramref name="scratch"/>; its checks have not run yet.</summary>
    Task RestoredAsync(PgConnectionInfo scratch, CancellationToken cancellationToken);
}
