using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lifeboat.Agent.Scheduling;

/// <summary>
/// Per-plan seeded jitter: a delay in [0, max) derived from the plan's name (SHA-256), so plans sharing a slot spread
/// out, and the same plan gets the same delay on every run and after every restart (no slot moves, none doubles).
/// </summary>
public static class Jitter
{
    /// <summary>The plan's delay after each slot, less than <paramref name="max"/> (zero when max is zero).</summary>
    public static TimeSpan For(string planName, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, TimeSpan.Zero);
        if (max == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(planName));
        var seed = BinaryPrimitives.ReadUInt64BigEndian(hash);
        return TimeSpan.FromTicks((long)(seed % (ulong)max.Ticks));
    }
}
