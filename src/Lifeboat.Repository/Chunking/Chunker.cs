using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Lifeboat.Repository.Chunking;

/// <summary>
/// FastCDC-style content-defined chunking with a gear hash and normalized chunking (a harder
/// mask before the average size, an easier one after). The gear table is derived from a
/// secret key, so chunk boundaries do not reveal content to someone who knows the algorithm.
/// </summary>
internal sealed class Chunker
{
    private readonly ulong[] _gear;
    private readonly ulong _maskHard;
    private readonly ulong _maskEasy;

    public Chunker(ChunkerParameters parameters, ReadOnlySpan<byte> gearKey)
    {
        parameters.Validate();
        Parameters = parameters;
        _gear = DeriveGear(gearKey);
        var bits = BitOperations.Log2((uint)parameters.AverageSize);
        _maskHard = TopBits(bits + 2);
        _maskEasy = TopBits(bits - 2);
    }

    public ChunkerParameters Parameters { get; }

    /// <summary>
    /// The length of the next chunk at the start of <paramref name="data"/>. The caller must
    /// pass at least <see cref="ChunkerParameters.MaxSize"/> bytes unless the input ends
    /// within <paramref name="data"/>, in which case a short final chunk is allowed.
    /// </summary>
    public int NextBoundary(ReadOnlySpan<byte> data)
    {
        var n = data.Length;
        if (n <= Parameters.MinSize)
        {
            return n;
        }

        if (n > Parameters.MaxSize)
        {
            n = Parameters.MaxSize;
        }

        var normal = Math.Min(Parameters.AverageSize, n);
        ref var start = ref MemoryMarshal.GetReference(data);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        ulong hash = 0;
        var i = Parameters.MinSize;
        var mask = _maskHard;
        for (; i < normal; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref start, i));
            if ((hash & mask) == 0)
            {
                return i + 1;
            }
        }

        mask = _maskEasy;
        for (; i < n; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref start, i));
            if ((hash & mask) == 0)
            {
                return i + 1;
            }
        }

        return n;
    }

    private static ulong TopBits(int count) => ulong.MaxValue << (64 - count);

    private static ulong[] DeriveGear(ReadOnlySpan<byte> gearKey)
    {
        var gear = new ulong[256];
        Span<byte> input = stackalloc byte[4];
        Span<byte> mac = stackalloc byte[32];
        for (var i = 0; i < gear.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(input, i);
            HMACSHA256.HashData(gearKey, input, mac);
            gear[i] = BinaryPrimitives.ReadUInt64BigEndian(mac);
        }

        return gear;
    }
}
