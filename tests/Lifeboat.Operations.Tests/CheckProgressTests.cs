using Lifeboat.Operations.Tests.Support;
using Lifeboat.Repository.Check;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

public sealed class CheckProgressTests
{
    [Fact]
    public async Task A_check_that_reads_the_data_reports_every_pack_up_to_the_totals_of_its_report()
    {
        var repository = await TestRepositories.InitAsync(new InMemoryStorage("memory:check"), "password");
        await TestRepositories.BackupAsync(repository, new Dictionary<string, byte[]> { ["a"] = TestRepositories.RandomBytes(2 * 1024 * 1024, 7) });
        await TestRepositories.BackupAsync(repository, new Dictionary<string, byte[]> { ["b"] = TestRepositories.RandomBytes(1024 * 1024, 8) });
        var progress = new RecordingProgress<CheckProgress>();

        var report = await new RepositoryCheck(repository, progress).RunAsync(new CheckOptions { ReadDataPercent = 100 }, default);

        report.Problems.Should().BeEmpty();
        progress.Reports[0].Should().Be(new CheckProgress(0, report.PacksRead, 0), "the packs to read are known before the first is read");
        progress.Reports.Max(r => r.PacksRead).Should().Be(report.PacksRead);
        progress.Reports.Max(r => r.BytesRead).Should().Be(report.BytesRead);
    }
}
