using System.Text;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

public class StreamSplitTests
{
    /// <summary>Lines of varied length, like COPY text: about <paramref name="bytes"/> in all.</summary>
    private static byte[] Lines(int bytes, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        var n = 0;
        while (text.Length < bytes)
        {
            text.Append(n++).Append('\t').Append(new string((char)('a' + random.Next(26)), random.Next(1, 400))).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static async Task<(StreamRestorer Restorer, SnapshotStream Stream, InMemoryStorage Storage, BackupRepository Repository)> StoreAsync(byte[] data)
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var record = await TestRepository.BackupAsync(repository, "t", data);
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        return (new StreamRestorer(new BlobReader(repository, index), 4), record.Snapshot.Streams.Single(), storage, repository);
    }

    private static async Task<byte[]> WriteAsync(StreamRestorer restorer, StreamRange range)
    {
        var output = new MemoryStream();
        await restorer.WriteRangeAsync(range, output, CancellationToken.None);
        return output.ToArray();
    }

    [Fact]
    public async Task Parts_end_after_a_newline_and_put_together_give_the_stream_back()
    {
        var data = Lines(2 * 1024 * 1024, 1);
        var (restorer, stream, _, _) = await StoreAsync(data);

        var ranges = await restorer.SplitAsync(stream, [data.Length / 3, 2L * data.Length / 3], (byte)'\n', CancellationToken.None);

        ranges.Should().HaveCount(3);
        var parts = new List<byte[]>();
        foreach (var range in ranges)
        {
            parts.Add(await WriteAsync(restorer, range));
        }

        parts.Should().AllSatisfy(p => p[^1].Should().Be((byte)'\n'));
        parts.SelectMany(p => p).ToArray().Should().Equal(data);
        ranges[0].Start.Should().Be(0);
        ranges[^1].End.Should().Be(data.Length);
        ranges.Zip(ranges.Skip(1)).Should().AllSatisfy(pair => pair.First.End.Should().Be(pair.Second.Start));
    }

    [Fact]
    public async Task A_cut_lands_at_the_first_newline_after_the_start_of_the_chunk_holding_it()
    {
        var data = Lines(1024 * 1024, 2);
        var (restorer, stream, _, _) = await StoreAsync(data);

        var ranges = await restorer.SplitAsync(stream, [data.Length / 2], (byte)'\n', CancellationToken.None);

        var cut = ranges[0].End;
        data[cut - 1].Should().Be((byte)'\n');
        cut.Should().BeGreaterThan(0).And.BeLessThan(data.Length);
    }

    [Fact]
    public async Task A_stream_without_the_delimiter_after_the_cut_stays_one_part()
    {
        var data = TestRepository.RandomBytes(1024 * 1024, 3).Select(b => b == (byte)'\n' ? (byte)'x' : b).ToArray();
        var (restorer, stream, _, _) = await StoreAsync(data);

        var ranges = await restorer.SplitAsync(stream, [data.Length / 4, data.Length / 2, 3L * data.Length / 4], (byte)'\n', CancellationToken.None);

        ranges.Should().ContainSingle();
        (await WriteAsync(restorer, ranges[0])).Should().Equal(data);
    }

    [Fact]
    public async Task Cuts_outside_the_stream_or_in_the_same_chunk_are_left_out()
    {
        var data = Lines(1024 * 1024, 4);
        var (restorer, stream, _, _) = await StoreAsync(data);

        var ranges = await restorer.SplitAsync(stream, [0, 10, 11, data.Length, data.Length + 5], (byte)'\n', CancellationToken.None);

        ranges.Should().ContainSingle();
        ranges[0].End.Should().Be(data.Length);

        var empty = await StoreAsync([]);
        (await empty.Restorer.SplitAsync(empty.Stream, [1], (byte)'\n', CancellationToken.None)).Should().ContainSingle()
            .Which.End.Should().Be(0);
    }

    [Fact]
    public async Task A_damaged_chunk_fails_the_part_that_holds_it_with_an_integrity_error()
    {
        var data = Lines(2 * 1024 * 1024, 5);
        var (restorer, stream, storage, _) = await StoreAsync(data);
        var ranges = await restorer.SplitAsync(stream, [data.Length / 2], (byte)'\n', CancellationToken.None);

        // flip a byte every 4 KiB of every pack: every chunk is hit
        await foreach (var pack in storage.ListAsync("data/", CancellationToken.None))
        {
            var bytes = await storage.ReadAsync(pack.Name, 0, null, CancellationToken.None);
            for (var i = 0; i < bytes.Length; i += 4096)
            {
                bytes[i] ^= 0x40;
            }

            await storage.DeleteAsync(pack.Name, CancellationToken.None);
            await storage.WriteAsync(pack.Name, bytes, CancellationToken.None);
        }

        var output = new MemoryStream();
        var write = () => restorer.WriteRangeAsync(ranges[1], output, CancellationToken.None);

        await write.Should().ThrowAsync<IntegrityException>();
    }
}
