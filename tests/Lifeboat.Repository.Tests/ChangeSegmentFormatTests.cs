using Lifeboat.Repository.Changes;

namespace Lifeboat.Repository.Tests;

/// <summary>The segment stream's bytes (repository-format.md §16.1), pinned: a change to the encoding cannot slip in unnoticed.</summary>
public sealed class ChangeSegmentFormatTests
{
    private const string Known =
        "4C42434C" + "01" +
        "54" + "07000000" + "0807060504030201" + "1000000000000000" + "0100000000000000" +
        "01" + "00400000" + "0173" + "0174" + "64" + "01" + "026964" + "17000000" + "FFFFFFFF" + "01" +
        "02" +
        "01" + "00400000" + "04" + "01" + "020131" +
        "04" + "01" + "00400000" + "02";

    private static readonly LoggedTransaction Transaction = new(
        7, 0x0102030405060708, 0x10, DateTimeOffset.UnixEpoch.AddTicks(10),
        [new LoggedRelation(0x4000, "s", "t", 'd', [new LoggedColumn("id", 23, -1, true)])], 2);

    private static readonly LoggedChange[] Changes =
    [
        new(LoggedChangeKind.Insert, 0x4000, null, false, [new LoggedValue(LoggedValueKind.Text, "1")], [], 0),
        new(LoggedChangeKind.Truncate, 0, null, false, null, [0x4000], 2),
    ];

    [Fact]
    public void A_transaction_encodes_to_the_known_bytes()
    {
        Convert.ToHexString(Encode()).Should().Be(Known);
    }

    [Fact]
    public async Task The_known_bytes_decode_to_the_transaction()
    {
        await using var reader = new ChangeSegmentReader(new MemoryStream(Convert.FromHexString(Known)), "known");

        var header = await reader.ReadTransactionAsync(CancellationToken.None);
        header.Should().BeEquivalentTo(Transaction);
        (await reader.ReadChangeAsync(CancellationToken.None)).Should().BeEquivalentTo(Changes[0]);
        (await reader.ReadChangeAsync(CancellationToken.None)).Should().BeEquivalentTo(Changes[1]);
        (await reader.ReadTransactionAsync(CancellationToken.None)).Should().BeNull();
    }

    [Theory]
    [InlineData("4C42434C02", "does not start with LBCL version 1")]
    [InlineData("4C42434C0155070000", "record tag 85")]
    [InlineData("4C42434C015407", "ends inside a record")]
    public async Task A_stream_breaking_the_rules_is_refused_naming_the_segment(string hex, string why)
    {
        await using var reader = new ChangeSegmentReader(new MemoryStream(Convert.FromHexString(hex)), "changes/abc");

        var read = () => reader.ReadTransactionAsync(CancellationToken.None);

        (await read.Should().ThrowAsync<IntegrityException>()).Which.Message.Should().Contain("changes/abc").And.Contain(why);
    }

    [Fact]
    public async Task An_unknown_change_kind_or_flag_is_refused()
    {
        var bytes = Encode();
        bytes[^17] = 9; // the insert's kind byte: 10 bytes of insert and 7 of truncate end the stream
        await using var reader = new ChangeSegmentReader(new MemoryStream(bytes), "changes/abc");
        await reader.ReadTransactionAsync(CancellationToken.None);

        var read = () => reader.ReadChangeAsync(CancellationToken.None);

        (await read.Should().ThrowAsync<IntegrityException>()).Which.Message.Should().Contain("change kind 9");
    }

    private static byte[] Encode()
    {
        var output = new MemoryStream();
        var encoder = new SegmentEncoder(output);
        encoder.WriteTransaction(Transaction);
        foreach (var change in Changes)
            encoder.WriteChange(change);
        return output.ToArray();
    }
}
