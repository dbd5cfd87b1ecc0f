using System.Collections.Concurrent;
using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

[Collection(SupabaseCollection.Name)]
public sealed class FilterTests(SupabaseFixture fixture)
{
    [Fact]
    public async Task Schema_and_table_data_filters_select_like_pg_dump_and_progress_is_reported()
    {
        var reports = new ConcurrentQueue<CaptureProgress>();
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(fixture.Source, store, new CaptureOptions
        {
            Jobs = 2,
            Schemas = ["auth", "Storage"],
            ExcludeTables = ["storage.buckets"],
            ExcludeTableData = ["auth.identities"],
            Progress = new SynchronousProgress(reports.Enqueue),
        }, default);

        manifest.Tables.Select(t => $"{t.Schema}.{t.Name}").Should().BeEquivalentTo(["auth.users", "auth.identities", "storage.objects"]);
        manifest.Tables.Single(t => t.Name == "identities").Should().Match<TableEntry>(t => t.DataExcluded && t.Stream == null);
        manifest.LargeObjects.Should().BeEmpty("like pg_dump, --schema leaves large objects out unless asked");
        manifest.Sequences.Should().BeEmpty();
        store.Streams.Keys.Where(k => k.StartsWith("data/", StringComparison.Ordinal)).Should().BeEquivalentTo(["data/auth.users", "data/storage.objects"]);
        reports.Should().NotBeEmpty();
        reports.Max(r => r.TablesDone).Should().Be(2);
        reports.Max(r => r.BytesDone).Should().Be(manifest.TotalDataBytes);
    }

    [Fact]
    public async Task A_table_filter_keeps_owned_sequences_and_ignores_schema_filters()
    {
        var manifest = await new PostgresCapture().CaptureAsync(fixture.Source, new MemoryStreamStore(), new CaptureOptions
        {
            Jobs = 1,
            Schemas = ["auth"],
            Tables = ["public.counters", "notes"],
        }, default);
        manifest.Tables.Select(t => t.Name).Should().BeEquivalentTo(["counters", "notes"]);
        manifest.Sequences.Select(s => s.Name).Should().BeEquivalentTo(["counters_id_seq", "notes_id_seq"]);
    }

    private sealed class SynchronousProgress(Action<CaptureProgress> report) : IProgress<CaptureProgress>
    {
        public void Report(CaptureProgress value) => report(value);
    }
}
