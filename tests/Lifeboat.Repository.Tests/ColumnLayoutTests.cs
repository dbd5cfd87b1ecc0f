using System.Text;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Tests;

public class ColumnLayoutTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The encoding as an array (the pooled buffer given back), or null when the layout declines.</summary>
    private static byte[]? TryEncode(byte[] source, bool always = false)
    {
        if (ColumnLayout.TryEncode(source, always) is not { } encoded)
        {
            return null;
        }

        var result = encoded.Buffer.AsSpan(0, encoded.Length).ToArray();
        System.Buffers.ArrayPool<byte>.Shared.Return(encoded.Buffer);
        return result;
    }

    private static byte[] Encode(byte[] source, bool always = true) =>
        TryEncode(source, always) ?? throw new InvalidOperationException("not encoded");

    private static byte[] Decode(byte[] encoded, int length)
    {
        var output = new byte[length];
        ColumnLayout.Decode(encoded, output);
        return output;
    }

    /// <summary>COPY text rows like the app-like bench table's: an id, a uuid, a time, a name, jsonb, NULLs.</summary>
    private static byte[] CopyRows(int rows, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            text.Append(i).Append('\t').Append(new Guid(random.GetItems<byte>([.. Enumerable.Range(0, 256).Select(b => (byte)b)], 16)))
                .Append('\t').Append($"2026-11-{1 + (i % 28):00} 0{i % 10}:{i % 60:00}:00+00").Append('\t')
                .Append(random.Next(3) == 0 ? "\\N" : $"user{random.Next(1000)}@example.com").Append('\t')
                .Append($"{{\"status\": {200 + random.Next(5)}, \"path\": \"/a\\\\tb/{random.Next(100)}\"}}").Append('\n');
        }

        return Bytes(text.ToString());
    }

    [Fact]
    public void The_layout_of_a_small_input_is_the_one_the_format_document_describes()
    {
        // lines "1\tx", "2\ty" and the empty line after the last newline: runs (2 fields, 2 lines), (1 field, 1 line)
        Convert.ToHexStringLower(Encode(Bytes("1\tx\n2\ty\n"))).Should().Be("010302020201010504" + "310a320a0a" + "780a790a");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\t")]
    [InlineData("\t\t\n\n\t")]
    [InlineData("no separators at all")]
    [InlineData("a\tb")]
    [InlineData("a\tb\n")]
    [InlineData("a\tb\nc\n\nd\te\tf\n\\N\t\\\\\t\\.\n")]
    [InlineData("partial row\tat the start\n1\t2\t3\n4\t5\t6\n7\t8")]
    public void Any_input_decodes_back_to_exactly_its_bytes(string text)
    {
        var source = Bytes(text);
        Decode(Encode(source), source.Length).Should().Equal(source);
    }

    [Fact]
    public void Random_mixes_of_tabs_newlines_and_other_bytes_decode_back_exactly()
    {
        var random = new Random(42);
        byte[] alphabet = [(byte)'a', (byte)'\t', (byte)'\n', 0, 0xff, (byte)'\\', (byte)'\r'];
        for (var i = 0; i < 2000; i++)
        {
            var source = random.GetItems(alphabet, random.Next(0, 3000));
            Decode(Encode(source), source.Length).Should().Equal(source, $"input {i} of {source.Length} bytes");
        }
    }

    [Fact]
    public void Values_longer_than_64_KiB_and_the_most_columns_decode_back_exactly()
    {
        var longValue = new string('x', 70_000);
        var wide = string.Join('\t', Enumerable.Range(0, ColumnLayout.MaxColumns).Select(i => i.ToString()));
        var source = Bytes($"{longValue}\t1\n2\t{longValue}\n{wide}\n{wide}");
        Decode(Encode(source), source.Length).Should().Equal(source);
    }

    [Theory]
    [InlineData(100_000, 1)]
    [InlineData(300_000, 3)]
    [InlineData(1 << 20, 2)]
    public void Inputs_with_more_fields_than_a_sixteenth_of_their_bytes_decode_back_exactly(int length, int every)
    {
        // the scan's field buffer starts at a sixteenth of the input and grows: short fields make it grow several times
        var source = new byte[length];
        for (var i = 0; i < length; i++)
        {
            source[i] = i % every != 0 ? (byte)'7' : (i / every) % 40 == 39 ? (byte)'\n' : (byte)'\t';
        }

        Decode(Encode(source), source.Length).Should().Equal(source);
        Decode(Encode(source, always: false), source.Length).Should().Equal(source);
    }

    [Fact]
    public void A_wide_line_followed_by_many_short_runs_decodes_back_exactly()
    {
        // the shape that once made encoding cost columns x runs: 2,048 columns, then runs of five lines
        var text = new StringBuilder(new string('\t', ColumnLayout.MaxColumns - 1)).Append('\n');
        for (var i = 0; text.Length < 1 << 20; i++)
        {
            text.Append(string.Concat(Enumerable.Repeat(i % 2 == 0 ? "aaa\n" : "a\tb\n", 5)));
        }

        var source = Bytes(text.ToString());
        var bytes = TryEncode(source);
        bytes.Should().NotBeNull("the runs are a fifth of the lines");
        Decode(bytes!, source.Length).Should().Equal(source);
    }

    [Fact]
    public void A_header_that_claims_more_lines_or_runs_than_its_bytes_can_hold_is_refused_before_anything_is_allocated()
    {
        // version 1, 2^26 lines, 2^26 runs: nine bytes that once made the decoder allocate 512 MiB of runs for a 64 MiB blob
        var header = Convert.FromHexString("0180808020" + "80808020");
        FluentActions.Invoking(() => Decode(header, 64 << 20)).Should().Throw<InvalidDataException>().WithMessage("*line or run count*");
    }

    [Fact]
    public void A_line_with_more_fields_than_any_table_has_columns_is_left_alone()
    {
        var source = Bytes(string.Join('\t', Enumerable.Range(0, ColumnLayout.MaxColumns + 1)) + "\n");
        ColumnLayout.TryEncode(source, always: true).Should().BeNull();
    }

    [Fact]
    public void Copy_text_cut_anywhere_is_encoded_and_decodes_back_exactly()
    {
        var rows = CopyRows(5000);
        var random = new Random(3);
        for (var i = 0; i < 50; i++)
        {
            var start = random.Next(rows.Length / 2);
            var source = rows.AsSpan(start, random.Next(4096, rows.Length - start)).ToArray();
            var bytes = TryEncode(source);
            bytes.Should().NotBeNull("COPY text is what the layout is for");
            bytes!.Length.Should().BeLessThanOrEqualTo((int)ColumnLayout.MaxEncodedLength(source.Length));
            Decode(bytes, source.Length).Should().Equal(source);
        }
    }

    [Fact]
    public void Copy_text_in_columns_compresses_smaller_than_in_rows()
    {
        var rows = CopyRows(20_000);
        var buffer = new byte[Zstd.CompressBound(rows.Length * 2)];
        var plain = Zstd.Compress(rows, buffer, 2);
        var columns = Zstd.Compress(Encode(rows, always: false), buffer, 2);
        columns.Should().BeLessThan(plain * 95 / 100);
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("text without tabs")]
    [InlineData("a few lines")]
    [InlineData("irregular lines")]
    public void Input_that_is_not_rows_of_fields_is_left_alone(string kind)
    {
        var random = new Random(5);
        var source = kind switch
        {
            "binary" => random.GetItems<byte>([.. Enumerable.Range(0, 256).Select(b => (byte)b)], 1 << 20),
            "text without tabs" => Bytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"INSERT INTO t VALUES ({i});\n"))),
            "a few lines" => Bytes("a\tb\nc\td\ne\tf\n"),
            _ => Bytes(string.Concat(Enumerable.Range(0, 5000).Select(i => string.Join('\t', Enumerable.Range(0, 1 + (i % 7))) + "\n"))),
        };
        ColumnLayout.TryEncode(source).Should().BeNull();
    }

    [Fact]
    public void Damaged_encodings_are_refused_as_invalid_data_and_never_overrun()
    {
        var source = CopyRows(200);
        var encoded = Encode(source);
        var random = new Random(9);
        for (var cut = 0; cut < encoded.Length; cut += 1 + (encoded.Length / 300))
        {
            var truncated = encoded[..cut];
            FluentActions.Invoking(() => Decode(truncated, source.Length)).Should().Throw<InvalidDataException>($"cut at {cut}");
        }

        for (var i = 0; i < 3000; i++)
        {
            var damaged = (byte[])encoded.Clone();
            // the header and the separators are where structure lives; damage them most
            var at = random.Next(3) == 0 ? random.Next(Math.Min(40, damaged.Length)) : random.Next(damaged.Length);
            damaged[at] = random.Next(2) == 0 ? (byte)'\n' : (byte)random.Next(256);
            try
            {
                Decode(damaged, source.Length);
            }
            catch (InvalidDataException)
            {
            }
        }

        FluentActions.Invoking(() => Decode(encoded, source.Length + 1)).Should().Throw<InvalidDataException>();
        FluentActions.Invoking(() => Decode(encoded, source.Length - 1)).Should().Throw<InvalidDataException>();
    }
}
