using System.Security.Cryptography;
using System.Text;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Crypto;

/// <summary>
/// The repository's secret: a 32-byte data key (AES-256-GCM for every encrypted object) and a
/// 32-byte id key (HMAC-SHA-256 blob ids, chunker gear table). Random at <c>init</c>, never
/// changed; passwords only wrap it (see <see cref="KeyFile"/>).
/// </summary>
public sealed class MasterKey
{
    public const int KeySize = 32;

    public MasterKey(byte[] dataKey, byte[] idKey)
    {
        if (dataKey.Length != KeySize || idKey.Length != KeySize)
        {
            throw new ArgumentException("master key parts must be 32 bytes each");
        }

        DataKey = dataKey;
        IdKey = idKey;
    }

    public byte[] DataKey { get; }

    public byte[] IdKey { get; }

    public static MasterKey CreateRandom() =>
        new(RandomNumberGenerator.GetBytes(KeySize), RandomNumberGenerator.GetBytes(KeySize));

    /// <summary>Blob id: HMAC-SHA-256 of the plaintext under the id key.</summary>
    public BlobId ComputeId(ReadOnlySpan<byte> plaintext)
    {
        Span<byte> mac = stackalloc byte[BlobId.Size];
        HMACSHA256.HashData(IdKey, plaintext, mac);
        return BlobId.Read(mac);
    }

    /// <summary>A sub-key for one purpose, derived from the id key (HMAC with a label).</summary>
    public byte[] DeriveIdSubKey(string label) => HMACSHA256.HashData(IdKey, Encoding.ASCII.GetBytes(label));
}
