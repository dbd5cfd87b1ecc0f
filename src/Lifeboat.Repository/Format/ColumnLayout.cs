using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Lifeboat.Repository.Format;

/// <summary>
/// A reversible reordering of tab-separated lines (PostgreSQL's COPY text) into columns, done to a
/// data blob before zstd: values of one column (timestamps, uuids, e-mail addresses) sit next to
/// each other, which compresses smaller than rows on app-like data, and does so already at zstd
/// level 2, faster than level 3 (figures: bench/README.md, "Figures behind choices in the code").
/// It is a pure byte transform: any input decodes back exactly,
/// whether or not it is COPY text (chunks start and end mid-row); input without a regular line
/// structure is left alone (<see cref="TryEncode"/> says no).
/// <para>
/// Layout (integers are unsigned LEB128 varints): version byte <c>1</c>; line count; run count; per
/// run, its field count (1 to <see cref="MaxColumns"/>) and number of lines (≥ 1); per column (as many
/// as the largest field count) the byte length of its region; then the regions, column by column: the
/// column's values of every line that has the column, in line order, each followed by <c>\n</c>.
/// Lines split at <c>\n</c> and fields at <c>\t</c> (so neither occurs in a value, and a text that
/// ends with <c>\n</c> has a last, empty line); decoding joins fields with <c>\t</c> and lines with
/// <c>\n</c>. The encoding is one byte longer than the input plus the header.
/// </para>
/// </summary>
internal static class ColumnLayout
{
    public const byte Version = 1;

    /// <summary>More columns than this is not a table's rows (PostgreSQL allows 1,600).</summary>
    public const int MaxColumns = 2048;

    private const int MinimumLines = 8;

    /// <summary>
    /// The longest encoding of <paramref name="length"/> bytes (the encoder gives up beyond it, so a
    /// reader can refuse a larger frame before allocating for it).
    /// </summary>
    public static long MaxEncodedLength(int length) => length + (length / 8) + 4096L;

    /// <summary>
    /// Encodes <paramref name="source"/> into a buffer rented from the shared pool and returns it with
    /// the encoded length, or returns null when the input is not regular lines of at least two fields
    /// (<paramref name="always"/>: whatever its lines, unless a line has more than <see cref="MaxColumns"/> fields).
    /// </summary>
    public static (byte[] Buffer, int Length)? TryEncode(ReadOnlySpan<byte> source, bool always = false)
    {
        var shape = Scan(source, always);
        if (shape is null)
        {
            return null;
        }

        using var s = shape;
        if (!always && s.EncodedLength > MaxEncodedLength(source.Length))
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(s.EncodedLength);
        try
        {
            var length = s.Write(source, buffer);
            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="destination"/>, which must be exactly the
    /// original length. Throws <see cref="InvalidDataException"/> when the bytes are not a valid encoding
    /// of that many bytes.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> encoded, Span<byte> destination)
    {
        var position = 0;
        if (encoded.IsEmpty || encoded[position++] != Version)
        {
            throw new InvalidDataException("column layout: unknown version");
        }

        var lines = ReadVarint(encoded, ref position);
        var runCount = ReadVarint(encoded, ref position);
        // every line ends a value of column 0 with a newline, and every run takes two header bytes at least
        if (runCount < 1 || runCount > lines || lines > (ulong)destination.Length + 1 || lines > (ulong)encoded.Length
            || runCount > (ulong)(encoded.Length - position) / 2)
        {
            throw new InvalidDataException("column layout: bad line or run count");
        }

        var runs = new (int Fields, int Lines)[(int)runCount];
        var columns = 0;
        ulong linesSeen = 0;
        for (var i = 0; i < runs.Length; i++)
        {
            var fields = ReadVarint(encoded, ref position);
            var count = ReadVarint(encoded, ref position);
            if (fields < 1 || fields > MaxColumns || count < 1 || count > lines - linesSeen)
            {
                throw new InvalidDataException("column layout: bad run");
            }

            linesSeen += count;
            runs[i] = ((int)fields, (int)count);
            columns = Math.Max(columns, (int)fields);
        }

        if (linesSeen != lines)
        {
            throw new InvalidDataException("column layout: runs do not add up to the line count");
        }

        var cursor = new int[columns];
        var regionEnd = new int[columns];
        var regions = new ulong[columns];
        for (var k = 0; k < columns; k++)
        {
            regions[k] = ReadVarint(encoded, ref position);
            if (regions[k] > (ulong)encoded.Length)
            {
                throw new InvalidDataException("column layout: a region is longer than the blob");
            }
        }

        ulong at = (ulong)position;
        for (var k = 0; k < columns; k++)
        {
            cursor[k] = (int)Math.Min(at, int.MaxValue);
            at += regions[k];
            if (at > (ulong)encoded.Length)
            {
                throw new InvalidDataException("column layout: regions run past the end");
            }

            regionEnd[k] = (int)at;
        }

        if (at != (ulong)encoded.Length)
        {
            throw new InvalidDataException("column layout: regions do not add up to the blob");
        }

        var output = 0;
        var linesLeft = lines;
        foreach (var (fields, count) in runs)
        {
            for (var line = 0; line < count; line++)
            {
                for (var k = 0; k < fields; k++)
                {
                    var from = cursor[k];
                    var length = CopyValue(encoded, from, regionEnd[k], destination, output);
                    var separator = k + 1 < fields || linesLeft > 1 ? 1 : 0;
                    if (length < 0 || length > destination.Length - output - separator)
                    {
                        throw new InvalidDataException("column layout: a value runs past its column or the blob");
                    }

                    cursor[k] = from + length + 1;
                    output += length;
                    if (k + 1 < fields)
                    {
                        destination[output++] = (byte)'\t';
                    }
                }

                if (--linesLeft > 0)
                {
                    destination[output++] = (byte)'\n';
                }
            }
        }

        if (output != destination.Length)
        {
            throw new InvalidDataException("column layout: decoded to the wrong length");
        }

        for (var k = 0; k < columns; k++)
        {
            if (cursor[k] != regionEnd[k])
            {
                throw new InvalidDataException("column layout: a column holds more values than its lines");
            }
        }
    }

    /// <summary>
    /// Copies the value at <paramref name="from"/> (up to the newline that ends it, which must come
    /// before <paramref name="end"/>) to <paramref name="destination"/> at <paramref name="output"/>;
    /// returns its length, or -1 when its column has no newline left or it does not fit. Most values are
    /// short: while both buffers have 32 bytes to spare, 32 bytes are copied and searched at once, one
    /// step for most values (one search and one copy call per value cost twice as much). The bytes
    /// copied past the newline are overwritten by what the decoder writes next.
    /// </summary>
    private static int CopyValue(ReadOnlySpan<byte> encoded, int from, int end, Span<byte> destination, int output)
    {
        var length = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var source = ref MemoryMarshal.GetReference(encoded);
            ref var target = ref MemoryMarshal.GetReference(destination);
            var newline = Vector256.Create((byte)'\n');
            while (from + length <= encoded.Length - 32 && output + length <= destination.Length - 32)
            {
                var block = Vector256.LoadUnsafe(ref source, (nuint)(from + length));
                block.StoreUnsafe(ref target, (nuint)(output + length));
                var found = Vector256.Equals(block, newline).ExtractMostSignificantBits();
                if (found != 0)
                {
                    length += BitOperations.TrailingZeroCount(found);
                    return from + length < end ? length : -1;
                }

                length += 32;
                if (from + length >= end)
                {
                    return -1;
                }
            }
        }

        var rest = encoded[(from + length)..end].IndexOf((byte)'\n');
        if (rest < 0 || rest > destination.Length - output - length)
        {
            return -1;
        }

        encoded.Slice(from + length, rest).CopyTo(destination[(output + length)..]);
        return length + rest;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> source, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= source.Length)
            {
                throw new InvalidDataException("column layout: truncated");
            }

            var b = source[position++];
            if (shift == 63 && b > 1)
            {
                throw new InvalidDataException("column layout: bad varint");
            }

            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("column layout: bad varint");
    }

    private static int WriteVarint(Span<byte> destination, int position, ulong value)
    {
        while (value >= 0x80)
        {
            destination[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[position++] = (byte)value;
        return position;
    }

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>Where the fields of <paramref name="source"/> end, and how its lines run; null when it is not worth encoding.</summary>
    private static Shape? Scan(ReadOnlySpan<byte> source, bool always)
    {
        // binary data and text without tabs are turned away within their first lines
        var ends = ArrayPool<int>.Shared.Rent(Math.Max(1024, source.Length / 16));
        var fieldCount = 0;
        var runs = new List<(int Fields, int Lines)>();
        var regionBytes = new long[MaxColumns];
        var columns = 0;
        var fieldsInLine = 0;
        var position = 0;
        var lines = 0;
        try
        {
            while (true)
            {
                var next = source[position..].IndexOfAny((byte)'\t', (byte)'\n');
                var end = next < 0 ? source.Length : position + next;
                if (fieldCount == ends.Length)
                {
                    var larger = ArrayPool<int>.Shared.Rent(ends.Length * 2);
                    ends.AsSpan(0, fieldCount).CopyTo(larger);
                    ArrayPool<int>.Shared.Return(ends);
                    ends = larger;
                }

                ends[fieldCount++] = end;
                var length = end - position;
                if (fieldsInLine == MaxColumns)
                {
                    return null;
                }

                regionBytes[fieldsInLine] += length + 1;

                fieldsInLine++;
                if (next >= 0 && source[end] == (byte)'\t')
                {
                    position = end + 1;
                    continue;
                }

                // a line ends (at a newline, or at the end of the input)
                lines++;
                columns = Math.Max(columns, fieldsInLine);
                if (runs.Count > 0 && runs[^1].Fields == fieldsInLine)
                {
                    runs[^1] = (fieldsInLine, runs[^1].Lines + 1);
                }
                else
                {
                    runs.Add((fieldsInLine, 1));
                    // rows of a table have one field count; a chunk cut mid-row adds a run at each end
                    if (!always && runs.Count > 16 && runs.Count > lines / 4)
                    {
                        return null;
                    }
                }

                // text without tabs (SQL, logs) gains nothing
                if (!always && lines == 64 && columns < 2)
                {
                    return null;
                }

                fieldsInLine = 0;
                if (next < 0)
                {
                    break;
                }

                position = end + 1;
            }

            if (!always && (lines < MinimumLines || columns < 2 || runs.Count > lines / 4 + 2))
            {
                return null;
            }

            var shape = new Shape(ends, fieldCount, runs, regionBytes.AsSpan(0, columns).ToArray(), lines);
            ends = null!;
            return shape;
        }
        finally
        {
            if (ends is not null)
            {
                ArrayPool<int>.Shared.Return(ends);
            }
        }
    }

    /// <summary>The scanned structure of one input: field ends (pooled), runs and column region lengths.</summary>
    private sealed class Shape : IDisposable
    {
        private readonly int[] _ends;
        private readonly int _fieldCount;
        private readonly List<(int Fields, int Lines)> _runs;
        private readonly long[] _regions;
        private readonly int _lines;

        public Shape(int[] ends, int fieldCount, List<(int Fields, int Lines)> runs, long[] regions, int lines)
        {
            _ends = ends;
            _fieldCount = fieldCount;
            _runs = runs;
            _regions = regions;
            _lines = lines;
            long length = 1 + VarintLength((ulong)lines) + VarintLength((ulong)runs.Count);
            foreach (var (fields, count) in runs)
            {
                length += VarintLength((ulong)fields) + VarintLength((ulong)count);
            }

            foreach (var region in regions)
            {
                length += VarintLength((ulong)region) + region;
            }

            EncodedLength = checked((int)length);
        }

        public int EncodedLength { get; }

        public int Write(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            var position = 0;
            destination[position++] = Version;
            position = WriteVarint(destination, position, (ulong)_lines);
            position = WriteVarint(destination, position, (ulong)_runs.Count);
            foreach (var (fields, count) in _runs)
            {
                position = WriteVarint(destination, position, (ulong)fields);
                position = WriteVarint(destination, position, (ulong)count);
            }

            foreach (var region in _regions)
            {
                position = WriteVarint(destination, position, (ulong)region);
            }

            // one pass over the fields, each column writing at its own position (the regions' lengths are known)
            var at = new int[_regions.Length];
            var regionEnd = new int[_regions.Length];
            for (var k = 0; k < at.Length; k++)
            {
                at[k] = position;
                position += (int)_regions[k];
                regionEnd[k] = position;
            }

            var ends = _ends.AsSpan(0, _fieldCount);
            var f = 0;
            foreach (var (fields, count) in _runs)
            {
                for (var line = 0; line < count; line++)
                {
                    for (var k = 0; k < fields; k++, f++)
                    {
                        var start = f == 0 ? 0 : ends[f - 1] + 1;
                        var value = source[start..ends[f]];
                        value.CopyTo(destination[at[k]..]);
                        at[k] += value.Length;
                        destination[at[k]++] = (byte)'\n';
                    }
                }
            }

            for (var k = 0; k < at.Length; k++)
            {
                if (at[k] != regionEnd[k])
                {
                    throw new InvalidOperationException($"column layout: column {k} ended at {at[k]}, expected {regionEnd[k]}");
                }
            }

            if (position != EncodedLength)
            {
                throw new InvalidOperationException($"column layout wrote {position} bytes, expected {EncodedLength}");
            }

            return position;
        }

        public void Dispose() => ArrayPool<int>.Shared.Return(_ends);
    }
}
