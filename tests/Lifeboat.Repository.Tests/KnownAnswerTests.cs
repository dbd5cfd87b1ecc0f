namespace Lifeboat.Repository.Tests;

public partial class KnownAnswerTests
{
    /// <summary>Deterministic input: xorshift64 bytes, masked so they compress a little.</summary>
    public static byte[] Input(int length)
    {
        var data = new byte[length];
        ulong state = 0x9E3779B97F4A7C15;
        for (var i = 0; i < length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data[i] = (byte)(state & 0x3F);
        }

        return data;
    }
}
