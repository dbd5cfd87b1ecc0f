using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lifeboat.Postgres;

/// <summary>
/// An order-independent digest of the rows of a COPY text stream: the sum, modulo 2^128, of the
/// XXH128 of every row (its bytes up to and including the newline; COPY text escapes newlines
/// inside values). Two streams with the same rows in any order have the same digest. A table
/// loaded by COPY FROM is not always stored in load order (PostgreSQL may put a short row into
/// room left on an earlier page), so its COPY TO output can come back reordered: the stream's
/// SHA-256 then differs while the rows are identical, and this digest tells the two apart.
/// It detects accidental differences (a lost, added or altered row), not deliberate collisions;
/// the stream's authenticity comes from the repository's MACs.
/// </summary>
internal sealed class RowDigest
{
    private readonly XxHash128 _partial = new();
    private UInt128 _sum;
    private bool _inRow;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            var end = data.IndexOf((byte)'\n');
            if (end < 0)
            {
                _partial.Append(data);
                _inRow = true;
                return;
            }

            var row = data[..(end + 1)];
            if (_inRow)
            {
                _partial.Append(row);
                _sum += _partial.GetCurrentHashAsUInt128();
                _partial.Reset();
                _inRow = false;
            }
            else
            {
                _sum += XxHash128.HashToUInt128(row);
            }

            data = data[(end + 1)..];
        }
    }

    /// <summary>The digest as 32 lower-case hex digits; a trailing row without newline counts as a row.</summary>
    public string ToHex()
    {
        var sum = _sum;
        if (_inRow)
            sum += _partial.GetCurrentHashAsUInt128();
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, sum);
        return Convert.ToHexStringLower(bytes);
    }
}
