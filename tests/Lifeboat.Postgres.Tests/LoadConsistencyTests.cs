using System.Diagnostics;
using Lifeboat.Postgres.Tests.Support;
using Npgsql;

namespace Lifeboat.Postgres.Tests;

public sealed class LoadConsistencyTests(ClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private const int Accounts = 100_000;
    private const long InitialBalance = 1000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_capture_taken_during_concurrent_transfers_restores_with_the_total_balance_unchanged(bool throughPsql)
    {
        // through psql, each table's COPY runs in a child process that joins the exported snapshot
        var c = fixture.Cluster;
        var bank = throughPsql ? "bank_psql" : "bank";
        await c.CreateDatabaseAsync(bank);
        await c.CreateDatabaseAsync(bank + "_restored");
        await c.ExecuteAsync($"""
            CREATE TABLE accounts_a (id int PRIMARY KEY, balance bigint NOT NULL, filler text);
            CREATE TABLE accounts_b (id int PRIMARY KEY, balance bigint NOT NULL, filler text);
            CREATE TABLE history (from_id int, to_id int, amount bigint, at timestamptz DEFAULT clock_timestamp());
            INSERT INTO accounts_a SELECT g, {InitialBalance}, repeat('a', 80) FROM generate_series(1, {Accounts}) g;
            INSERT INTO accounts_b SELECT g, {InitialBalance}, repeat('b', 80) FROM generate_series(1, {Accounts}) g;
            """, bank);
        var source = PgConnectionInfo.Parse(c.Url(bank));
        using var stop = new CancellationTokenSource();
        long transfers = 0;
        var load = Enumerable.Range(0, 3).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            await using var conn = new NpgsqlConnection(c.ConnectionString(bank));
            await conn.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                // pgbench-style transfer between the two tables, with a history row
                var from = random.Next(1, Accounts + 1);
                var to = random.Next(1, Accounts + 1);
                var amount = random.Next(1, 100);
                await using var batch = new NpgsqlBatch(conn)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand($"UPDATE accounts_a SET balance = balance - {amount} WHERE id = {from}"),
                        new NpgsqlBatchCommand($"UPDATE accounts_b SET balance = balance + {amount} WHERE id = {to}"),
                        new NpgsqlBatchCommand($"INSERT INTO history (from_id, to_id, amount) VALUES ({from}, {to}, {amount})"),
                    },
                };
                await using var tx = await conn.BeginTransactionAsync();
                await batch.ExecuteNonQueryAsync();
                await tx.CommitAsync();
                Interlocked.Increment(ref transfers);
            }
        })).ToList();

        await Task.Delay(300);
        var before = Interlocked.Read(ref transfers);
        var stopwatch = Stopwatch.StartNew();
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(source, store, new CaptureOptions { Jobs = 3, PsqlCopyMinBytes = throughPsql ? 0 : long.MaxValue }, default);
        stopwatch.Stop();
        var during = Interlocked.Read(ref transfers) - before;
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        during.Should().BeGreaterThan(0, "transfers must run while the capture copies");
        await new PostgresRestore().RestoreAsync(store, manifest, PgConnectionInfo.Parse(c.Url(bank + "_restored")), new RestoreOptions { Jobs = 3 }, default);
        var total = await c.ScalarAsync<decimal>("SELECT (SELECT sum(balance) FROM accounts_a) + (SELECT sum(balance) FROM accounts_b)", bank + "_restored");
        total.Should().Be(2 * Accounts * InitialBalance);
        var moved = await c.ScalarAsync<decimal>($"SELECT coalesce(sum(amount), 0) FROM history", bank + "_restored");
        (await c.ScalarAsync<decimal>("SELECT sum(balance) FROM accounts_b", bank + "_restored")).Should().Be(Accounts * InitialBalance + moved,
            "history and balances come from one snapshot");
        moved.Should().BeGreaterThan(0);
        (await c.ScalarAsync<decimal>("SELECT (SELECT sum(balance) FROM accounts_a) + (SELECT sum(balance) FROM accounts_b)", bank)).Should().Be(2 * Accounts * InitialBalance);
        output.WriteLine($"capture under load: {manifest.TotalDataBytes / 1024 / 1024} MiB in {stopwatch.ElapsedMilliseconds} ms, {during} transfers during capture");
    }
}
