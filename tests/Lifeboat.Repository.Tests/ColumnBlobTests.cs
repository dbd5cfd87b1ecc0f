using System.Text;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

/// <summary>Data blobs in the column layout: written by format version 2, read by every reader of it.</summary>
public class ColumnBlobTests
{
    private static byte[] CopyText(int rows) => Encoding.UTF8.GetBytes(string.Concat(
        Enumerable.Range(0, rows).Select(i => $"{i}\t{Guid.NewGuid()}\t2026-12-0{1 + (i % 9)} 10:00:{i % 60:00}+00\tuser{i % 977}@example.com\t{{\"n\": {i % 13}}}\n")));

    private static async Task<List<PackEntry>> EntriesAsync(BackupRepository repository) =>
        (await MasterIndex.LoadAsync(repository, CancellationToken.None)).EntriesByPack().Values.SelectMany(e => e).ToList();

    [Fact]
    public async Task A_new_repository_stores_copy_text_in_columns_and_dumps_it_back_byte_identical()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        repository.Config.Version.Should().Be(2);
        var data = CopyText(20_000);
        var binary = TestRepository.RandomBytes(300_000, 4);

        var record = await TestRepository.BackupAsync(repository, "public.events", data);
        var other = await TestRepository.BackupAsync(repository, "lo", binary);
        var reopened = await BackupRepository.OpenAsync(storage, TestRepository.Password, RepositoryContext.Default, CancellationToken.None);

        (await TestRepository.DumpAsync(reopened, record, "public.events")).Should().Equal(data);
        (await TestRepository.DumpAsync(reopened, other, "lo")).Should().Equal(binary);
        var entries = await EntriesAsync(reopened);
        entries.Where(e => e.Type == BlobType.Data && e.Columns).Should().NotBeEmpty();
        entries.Where(e => e.Type == BlobType.Tree).Should().OnlyContain(e => !e.Columns);
        entries.Where(e => e.Columns).Should().OnlyContain(e => e.Compressed);
    }

    [Fact]
    public async Task A_version_1_repository_stays_version_1_and_never_stores_columns()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage, TestRepository.SmallOptions with { FormatVersion = 1 });
        var data = CopyText(20_000);

        var record = await TestRepository.BackupAsync(repository, "public.events", data);
        var reopened = await BackupRepository.OpenAsync(storage, TestRepository.Password, RepositoryContext.Default, CancellationToken.None);

        reopened.Config.Version.Should().Be(1);
        (await TestRepository.DumpAsync(reopened, record, "public.events")).Should().Equal(data);
        (await EntriesAsync(reopened)).Should().OnlyContain(e => !e.Columns).And.Contain(e => e.Compressed);
    }

    [Fact]
    public async Task Check_with_read_data_verifies_blobs_stored_in_columns()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        await TestRepository.BackupAsync(repository, "public.events", CopyText(5_000));

        var report = await new Check.Checker(repository).RunAsync(new Check.CheckOptions { ReadDataPercent = 100 }, CancellationToken.None);

        report.Problems.Should().BeEmpty();
        report.PacksRead.Should().Be(report.Packs);
    }

    [Fact]
    public void A_config_of_a_newer_format_version_is_refused_with_the_versions_this_release_reads()
    {
        var json = """{"version":3,"id":"0123456789abcdef0123456789abcdef","created":"2026-12-02T00:00:00+00:00","chunker":{"minSize":262144,"averageSize":1048576,"maxSize":4194304},"packSize":16777216,"compressionLevel":2}""";

        FluentActions.Invoking(() => RepositoryConfig.Parse(Encoding.UTF8.GetBytes(json), "config"))
            .Should().Throw<InvalidRequestException>().WithMessage("*format version 3*reads versions 1 to 2*");
    }

    [Fact]
    public void A_pack_entry_with_an_encoding_flag_this_release_does_not_know_is_refused_as_written_by_a_newer_one()
    {
        var stream = new MemoryStream();
        BinaryWriting.WriteEntry(stream, new PackEntry(BlobType.Data, BlobId.HashOf([1]), 0, 40, 10, (BlobEncoding)4 | BlobEncoding.Compressed));

        FluentActions.Invoking(() => new BinaryCursor(stream.ToArray(), "pack 'x'").ReadEntry())
            .Should().Throw<IntegrityException>().WithMessage("*encoding flags 0x05*newer lifeboat*");
    }
}
