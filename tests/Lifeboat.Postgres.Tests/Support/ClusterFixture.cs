using Lifeboat.Postgres;

namespace Lifeboat.Postgres.Tests.Support;

/// <summary>One throw-away cluster per test class that uses it (xunit class fixture).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public async Task InitializeAsync() => _cluster = await ThrowawayCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}
