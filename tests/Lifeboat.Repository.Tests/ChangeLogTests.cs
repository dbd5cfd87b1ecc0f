using System.Globalization;
using Lifeboat.Repository.Changes;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Repository.Tests;

public sealed class ChangeLogTests
{
    private static readonly LoggedRelation Orders = new(16384, "public", "orders", 'd',
        [new LoggedColumn("id", 23, -1, true), new LoggedColumn("note", 25, -1, false), new LoggedColumn("doc", 25, -1, false)]);

    private static readonly LoggedRelation Lines = new(16390, "shop", "lines", 'f', [new LoggedColumn("n", 20, -1, false)]);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T10:00:00Z", CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_flushed_segment_reads_back_every_transaction_and_change_exactly_with_its_positions_and_times()
    {
        await using var repository = await InitAsync(new InMemoryStorage());
        var transactions = SampleTransactions(0x1000_0000, count: 3);
        var writer = await WriterAsync(repository, startLsn: 0x0FFF_0000);
        foreach (var (header, changes) in transactions)
            await writer.AppendAsync(header, changes.ToAsyncEnumerable(), CancellationToken.None);
        var record = await writer.FlushAsync(CancellationToken.None);

        var segment = (await ChangeLogStore.LoadAllAsync(repository, null, CancellationToken.None)).Should().ContainSingle().Subject;
        segment.Id.Should().Be(record!.Id);
        segment.Segment.StartLsn.Should().Be("0/FFF0000");
        segment.Segment.FirstCommitLsn.Should().Be(LogPosition.Format(transactions[0].Header.CommitLsn));
        segment.EndLsn.Should().Be(transactions[^1].Header.EndLsn);
        segment.Segment.FirstCommitTime.Should().Be(transactions[0].Header.CommitTime);
        segment.Segment.LastCommitTime.Should().Be(transactions[^1].Header.CommitTime);
        segment.Segment.Transactions.Should().Be(3);
        segment.Segment.Changes.Should().Be(transactions.Sum(t => t.Changes.Count));
        segment.Segment.Index[0].Should().Be(new ChangeSegmentMark(segment.Segment.FirstCommitLsn, transactions[0].Header.CommitTime, 5, 0));

        var read = await ReadAllAsync(repository, segment);
        read.Select(t => t.Header with { Relations = [] }).Should().Equal(transactions.Select(t => t.Header with { Relations = [] }));
        read.Zip(transactions).Should().AllSatisfy(p =>
        {
            p.First.Header.Relations.Should().BeEquivalentTo(p.Second.Header.Relations, o => o.WithStrictOrdering());
            p.First.Changes.Should().BeEquivalentTo(p.Second.Changes, o => o.WithStrictOrdering());
        });
    }

    [Fact]
    public async Task The_durable_lsn_advances_only_once_a_segment_is_stored_and_a_failed_flush_leaves_it_pending()
    {
        var storage = new FaultInjectingStorage(new InMemoryStorage());
        await using var repository = await InitAsync(storage);
        var writer = await WriterAsync(repository, startLsn: 0x500);
        var (header, changes) = SampleTransactions(0x1000, count: 1)[0];

        await writer.AppendAsync(header, changes.ToAsyncEnumerable(), CancellationToken.None);
        writer.DurableLsn.Should().Be(0x500, "nothing is durable before a flush");
        writer.FlushDue.Should().BeFalse();
        (await writer.FlushIfDueAsync(CancellationToken.None)).Should().BeNull();
        _time.Advance(TimeSpan.FromSeconds(5));
        writer.FlushDue.Should().BeTrue("the flush interval passed since the first pending transaction");

        storage.FailAllWith = StorageErrorKind.Permanent;
        var failing = () => writer.FlushAsync(CancellationToken.None);
        await failing.Should().ThrowAsync<StorageException>();
        writer.DurableLsn.Should().Be(0x500);
        writer.PendingTransactions.Should().Be(1);

        storage.FailAllWith = null;
        var record = await writer.FlushIfDueAsync(CancellationToken.None);
        record.Should().NotBeNull();
        writer.DurableLsn.Should().Be(header.EndLsn);
        writer.PendingTransactions.Should().Be(0);
        (await ChangeLogStore.LoadAllAsync(repository, null, CancellationToken.None)).Should().ContainSingle();
    }

    [Fact]
    public async Task Consecutive_segments_chain_start_to_end_and_a_big_one_is_indexed_every_64_KiB()
    {
        await using var repository = await InitAsync(new InMemoryStorage());
        var writer = await WriterAsync(repository, startLsn: 0x100, flushBytes: 1L << 40);
        var first = SampleTransactions(0x1000, count: 2);
        foreach (var (header, changes) in first)
            await writer.AppendAsync(header, changes.ToAsyncEnumerable(), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);
        var many = SampleTransactions(0x10_0000, count: 400);
        foreach (var (header, changes) in many)
            await writer.AppendAsync(header, changes.ToAsyncEnumerable(), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);

        var segments = await ChangeLogStore.LoadAllAsync(repository, null, CancellationToken.None);
        segments.Should().HaveCount(2);
        segments[1].StartLsn.Should().Be(segments[0].EndLsn);
        var index = segments[1].Segment.Index;
        index.Count.Should().BeGreaterThan(2);
        index.Zip(index.Skip(1)).Should().AllSatisfy(p =>
        {
            (p.Second.Offset - p.First.Offset).Should().BeGreaterThanOrEqualTo(ChangeLogWriter.MarkEvery);
            p.Second.Number.Should().BeGreaterThan(p.First.Number);
        });
        (await ReadAllAsync(repository, segments[1])).Select(t => t.Header.CommitLsn).Should().Equal(many.Select(t => t.Header.CommitLsn));
    }

    [Fact]
    public async Task A_transaction_out_of_commit_order_or_with_the_wrong_number_of_changes_is_refused()
    {
        await using var repository = await InitAsync(new InMemoryStorage());
        var writer = await WriterAsync(repository, startLsn: 0x2000);
        var (header, changes) = SampleTransactions(0x1000, count: 1)[0];

        var early = () => writer.AppendAsync(header, changes.ToAsyncEnumerable(), CancellationToken.None);
        await early.Should().ThrowAsync<ArgumentException>().WithMessage("*not after 0/2000*");

        var (later, laterChanges) = SampleTransactions(0x3000, count: 1)[0];
        var short1 = () => writer.AppendAsync(later with { ChangeCount = later.ChangeCount + 1 }, laterChanges.ToAsyncEnumerable(), CancellationToken.None);
        await short1.Should().ThrowAsync<ArgumentException>().WithMessage("*declared*");
        var afterwards = () => writer.FlushAsync(CancellationToken.None);
        await afterwards.Should().ThrowAsync<ObjectDisposedException>("a half-written transaction never becomes durable");
    }

    [Fact]
    public async Task Prune_keeps_the_data_of_change_segments()
    {
        await using var repository = await InitAsync(new InMemoryStorage());
        var writer = await WriterAsync(repository, startLsn: 0x100);
        foreach (var (header, changes) in SampleTransactions(0x1000, count: 50))
            await writer.AppendAsync(header, changes.ToAsyncEnumerable(), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);

        await new Pruner(repository).RunAsync(new PruneOptions { MaxUnused = 0 }, CancellationToken.None);

        var segment = (await ChangeLogStore.LoadAllAsync(repository, null, CancellationToken.None)).Single();
        (await ReadAllAsync(repository, segment)).Should().HaveCount(50);
    }

    private Task<BackupRepository> InitAsync(IStorage storage) =>
        BackupRepository.InitAsync(storage, TestRepository.Password, TestRepository.SmallOptions, new RepositoryContext(_time, Identity.Current), CancellationToken.None);

    private static async Task<ChangeLogWriter> WriterAsync(BackupRepository repository, ulong startLsn, long flushBytes = 16L * 1024 * 1024) =>
        new(repository, await MasterIndex.LoadAsync(repository, CancellationToken.None), new ChangeLogWriterOptions
        {
            Source = "127.0.0.1:5432/app",
            Slot = "lifeboat",
            StartLsn = startLsn,
            FlushBytes = flushBytes,
        });

    private static async Task<List<(LoggedTransaction Header, List<LoggedChange> Changes)>> ReadAllAsync(BackupRepository repository, ChangeSegmentRecord segment)
    {
        var restorer = new StreamRestorer(new BlobReader(repository, await MasterIndex.LoadAsync(repository, CancellationToken.None)), 4);
        await using var reader = ChangeLogStore.OpenRead(restorer, segment, CancellationToken.None);
        var result = new List<(LoggedTransaction, List<LoggedChange>)>();
        while (await reader.ReadTransactionAsync(CancellationToken.None) is { } header)
        {
            var changes = new List<LoggedChange>();
            for (var i = 0; i < header.ChangeCount; i++)
                changes.Add(await reader.ReadChangeAsync(CancellationToken.None));
            result.Add((header, changes));
        }

        return result;
    }

    /// <summary>Transactions from <paramref name="lsn"/> on, of every kind of change and value (each about 1 kB).</summary>
    private static List<(LoggedTransaction Header, List<LoggedChange> Changes)> SampleTransactions(ulong lsn, int count)
    {
        var result = new List<(LoggedTransaction, List<LoggedChange>)>();
        var time = DateTimeOffset.Parse("2026-12-07T09:00:00.123456Z", CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            LoggedValue Text(string s) => new(LoggedValueKind.Text, s);
            var changes = new List<LoggedChange>
            {
                new(LoggedChangeKind.Insert, Orders.Id, null, false, [Text($"{i}"), Text($"naïve ☃ tab\there\nnewline {new string('x', 900)}"), new(LoggedValueKind.Null, null)], [], 0),
                new(LoggedChangeKind.Update, Orders.Id, [Text($"{i}"), new(LoggedValueKind.Null, null), new(LoggedValueKind.Null, null)], true,
                    [Text($"{i}"), Text("changed"), new(LoggedValueKind.Unchanged, null)], [], 0),
                new(LoggedChangeKind.Delete, Lines.Id, [Text("42")], false, null, [], 0),
                new(LoggedChangeKind.Truncate, 0, null, false, null, [Orders.Id, Lines.Id], 3),
            };
            var commit = lsn + ((ulong)i * 0x100);
            result.Add((new LoggedTransaction((uint)(700 + i), commit, commit + 0x30, time.AddMilliseconds(i * 7.5), [Orders, Lines], changes.Count), changes));
        }

        return result;
    }
}
