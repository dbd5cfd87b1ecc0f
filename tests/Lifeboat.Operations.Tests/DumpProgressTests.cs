using Lifeboat.Operations.Tests.Support;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

public sealed class DumpProgressTests
{
    [Fact]
    public async Task A_dump_reports_the_stream_size_first_and_ends_with_every_byte_written()
    {
        var data = TestRepositories.RandomBytes(3 * 1024 * 1024, 11);
        var repository = await TestRepositories.InitAsync(new InMemoryStorage("memory:dump"), "password");
        var record = await TestRepositories.BackupAsync(repository, new Dictionary<string, byte[]> { ["db.dump"] = data });
        var progress = new RecordingProgress<DumpProgress>();
        using var output = new MemoryStream();

        await new StreamDump(repository, 4, progress).RunAsync(record.Id.ToString(), "db.dump", output, default);

        output.ToArray().Should().Equal(data);
        progress.Reports[0].Should().Be(new DumpProgress(0, data.Length));
        progress.Reports.Should().HaveCountGreaterThan(2, "a 3 MiB stream is several chunks");
        progress.Reports[^1].Should().Be(new DumpProgress(data.Length, data.Length));
    }
}
