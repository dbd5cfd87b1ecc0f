using System.Text;

namespace Lifeboat.Postgres.Tests;

public sealed class RowDigestTests
{
    private static string Digest(byte[] data, params int[] cuts)
    {
        var digest = new RowDigest();
        var start = 0;
        foreach (var cut in cuts.Append(data.Length))
        {
            digest.Append(data.AsSpan(start, cut - start));
            start = cut;
        }

        return digest.ToHex();
    }

    private static readonly string[] Rows = ["1\talice\t\\N\n", "2\tbob\t{\"a\": 1}\n", "3\tcarol\ttab\\there\n", "4\t\t\n", "2\tbob\t{\"a\": 1}\n"];

    [Fact]
    public void The_same_rows_in_any_order_and_any_read_sizes_give_the_same_digest()
    {
        var ordered = Encoding.UTF8.GetBytes(string.Concat(Rows));
        var shuffled = Encoding.UTF8.GetBytes(string.Concat(Rows.Reverse()));

        var expected = Digest(ordered);
        Digest(shuffled).Should().Be(expected);
        Digest(ordered, 1, 2, 3, 17, 18, 40).Should().Be(expected, "rows split across reads are hashed whole");
        Digest(shuffled, 5, 30).Should().Be(expected);
        expected.Should().MatchRegex("^[0-9a-f]{32}$");
    }

    [Fact]
    public void A_changed_missing_or_duplicated_row_changes_the_digest()
    {
        var expected = Digest(Encoding.UTF8.GetBytes(string.Concat(Rows)));

        Digest(Encoding.UTF8.GetBytes(string.Concat(Rows).Replace("carol", "carl", StringComparison.Ordinal))).Should().NotBe(expected);
        Digest(Encoding.UTF8.GetBytes(string.Concat(Rows.Skip(1)))).Should().NotBe(expected);
        Digest(Encoding.UTF8.GetBytes(string.Concat(Rows.Append(Rows[0])))).Should().NotBe(expected);
        Digest([]).Should().Be(new string('0', 32), "no rows sum to zero");
    }
}
