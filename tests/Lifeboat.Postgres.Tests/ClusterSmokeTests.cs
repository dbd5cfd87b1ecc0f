using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

public sealed class ClusterSmokeTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task The_throw_away_cluster_answers_queries_over_tcp_with_a_password()
    {
        var version = await fixture.Cluster.ScalarAsync<string>("SHOW server_version_num");
        int.Parse(version, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(fixture.Cluster.MajorVersion * 10000);
    }
}
