using System.Text;
using System.Text.Json;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Crypto;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

public sealed class AuditLogTests
{
    private readonly InMemoryStorage _storage = new();

    private static AuditRecord Record(string operation, int n) => new()
    {
        Operation = operation,
        Status = AuditStatus.Ok,
        Started = DateTimeOffset.UnixEpoch.AddHours(n),
        Finished = DateTimeOffset.UnixEpoch.AddHours(n).AddMinutes(1),
        Bytes = n,
    };

    private async Task<BackupRepository> WithRecordsAsync(int count)
    {
        var repository = await TestRepository.InitAsync(_storage);
        for (var i = 1; i <= count; i++)
        {
            await AuditLog.AppendAsync(repository, Record("backup", i), CancellationToken.None);
        }

        return repository;
    }

    private async Task ReplaceAsync(string name, byte[] bytes)
    {
        await _storage.DeleteAsync(name, CancellationToken.None);
        await _storage.WriteAsync(name, bytes, CancellationToken.None);
    }

    private Task<byte[]> ReadAsync(string name) => _storage.ReadAsync(name, 0, null, CancellationToken.None);

    [Fact]
    public async Task Appended_records_form_an_unbroken_chain_with_user_and_host_filled_in()
    {
        var repository = await WithRecordsAsync(3);

        var verification = await AuditLog.VerifyAsync(repository, CancellationToken.None);

        verification.Ok.Should().BeTrue(string.Join("; ", verification.Problems.Select(p => p.Message)));
        verification.Records.Should().Be(3);
        verification.Entries.Select(e => e.Record.Sequence).Should().Equal(1, 2, 3);
        verification.Entries[0].Record.Previous.Should().BeNull();
        verification.Entries[1].Record.Previous.Should().Be(verification.Entries[0].Sha256);
        verification.Entries[2].Record.User.Should().Be(Identity.Current.User);
        verification.Entries[2].Record.Host.Should().Be(Identity.Current.Host);
        (await ReadAsync(AuditLog.ObjectName(1))).AsSpan().IndexOf("backup"u8).Should().Be(-1, "records are encrypted");
    }

    [Fact]
    public async Task Concurrent_appenders_never_fork_or_lose_a_record()
    {
        var repository = await WithRecordsAsync(0);

        await Task.WhenAll(Enumerable.Range(1, 24).Select(i => Task.Run(() => AuditLog.AppendAsync(repository, Record("backup", i), CancellationToken.None))));

        var verification = await AuditLog.VerifyAsync(repository, CancellationToken.None);
        verification.Ok.Should().BeTrue(string.Join("; ", verification.Problems.Select(p => p.Message)));
        verification.Entries.Select(e => e.Record.Bytes).Should().BeEquivalentTo(Enumerable.Range(1, 24).Select(i => (long?)i));
        verification.Head.Should().Be(24);
    }

    [Fact]
    public async Task A_deleted_record_is_reported_as_deleted_by_number()
    {
        var repository = await WithRecordsAsync(5);
        await _storage.DeleteAsync(AuditLog.ObjectName(3), CancellationToken.None);

        var verification = await AuditLog.VerifyAsync(repository, CancellationToken.None);

        verification.Ok.Should().BeFalse();
        verification.Problems.Should().ContainSingle().Which.Should().Match<AuditProblem>(p => p.Sequence == 3 && p.Object == AuditLog.ObjectName(3));
        verification.Problems[0].Message.Should().Contain("record 3").And.Contain("missing").And.Contain("deleted");
    }

    [Fact]
    public async Task Reordered_records_are_reported_where_each_one_sits()
    {
        var repository = await WithRecordsAsync(5);
        var (two, four) = (await ReadAsync(AuditLog.ObjectName(2)), await ReadAsync(AuditLog.ObjectName(4)));
        await ReplaceAsync(AuditLog.ObjectName(2), four);
        await ReplaceAsync(AuditLog.ObjectName(4), two);

        var verification = await AuditLog.VerifyAsync(repository, CancellationToken.None);

        verification.Problems.Select(p => p.Sequence).Should().Equal(2, 4);
        verification.Problems[0].Message.Should().Contain("holds record 4").And.Contain("reordered");
        verification.Problems[1].Message.Should().Contain("holds record 2").And.Contain("reordered");
    }

    [Fact]
    public async Task An_edited_record_fails_authentication_and_is_named()
    {
        var repository = await WithRecordsAsync(4);
        var bytes = await ReadAsync(AuditLog.ObjectName(2));
        bytes[Sealer.NonceSize + 3] ^= 0x01;
        await ReplaceAsync(AuditLog.ObjectName(2), bytes);

        var verification = await AuditLog.VerifyAsync(repository, CancellationToken.None);

        verification.Problems.Should().ContainSingle().Which.Sequence.Should().Be(2);
        verification.Problems[0].Message.Should().Contain("record 2").And.Contain("failed authentication").And.Contain("edited");
    }

    [Fact]
    public async Task A_record_re_sealed_with_the_key_is_caught_by_its_successor()
    {
        var repository = await WithRecordsAsync(4);
        var aad = Encoding.ASCII.GetBytes("lifeboat audit v1");
        var stored = await ReadAsync(AuditLog.ObjectName(2));
        var json = Sealer.TryOpen(repository.Key.DataKey, stored, aad)!;
        var forged = JsonSerializer.Deserialize<AuditRecord>(json, FormatJson.Options)! with { Status = AuditStatus.Failed, Error = "never happened" };
        await ReplaceAsync(AuditLog.ObjectName(2), Sealer.Seal(repository.Key.DataKey, JsonSerializer.SerializeToUtf8Bytes(forged, FormatJson.Options), aad));

        var verification = await AuditLog.VerifyAsync(repository, CancellationToken.None);

        verification.Problems.Should().ContainSingle().Which.Sequence.Should().Be(2);
        verification.Problems[0].Message.Should().Contain("record 2").And.Contain("edited or replaced").And.Contain("record 3 recorded");
    }

    [Fact]
    public async Task Appending_after_a_gap_keeps_numbering_from_the_head_and_verification_still_names_the_gap()
    {
        var repository = await WithRecordsAsync(3);
        await _storage.DeleteAsync(AuditLog.ObjectName(2), CancellationToken.None);

        var appended = await AuditLog.AppendAsync(repository, Record("check", 9), CancellationToken.None);

        appended.Sequence.Should().Be(4);
        (await AuditLog.VerifyAsync(repository, CancellationToken.None)).Problems.Should().ContainSingle().Which.Sequence.Should().Be(2);
    }
}
