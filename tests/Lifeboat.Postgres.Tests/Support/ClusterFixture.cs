using Lifeboat.Postgres;

namespace Lifeboat.Postgres.Tests.Support;

/// <summary>One throw-away cluster per test class that uses it (xunit class fixture).</summary>
public class ClusterFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    /// <summary>How the cluster is started; the defaults unless a derived fixture says otherwise.</summary>
    protected virtual ThrowawayClusterOptions Options => new();

    public async Task InitializeAsync() => _cluster = await ThrowawayCluster.StartAsync(Options);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}

/// <summary>A cluster with <c>wal_level = logical</c>, for change capture.</summary>
public sealed class LogicalClusterFixture : ClusterFixture
{
    protected override ThrowawayClusterOptions Options => new() { LogicalReplication = true };
}
