using System.Security.Cryptography;

namespace Lifeboat.Repository.Crypto;

/// <summary>
/// Authenticated encryption of everything the repository stores (AES-256-GCM, random 96-bit
/// nonce): sealed = nonce ‖ ciphertext ‖ tag. The associated data binds a sealed box to its
/// purpose (a blob's id, "index", "snapshot", ...), so boxes cannot be swapped unnoticed.
/// </summary>
public static class Sealer
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    public static int SealedLength(int plaintextLength) => plaintextLength + Overhead;

    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (destination.Length < SealedLength(plaintext.Length))
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        var nonce = destination[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(
            nonce,
            plaintext,
            destination.Slice(NonceSize, plaintext.Length),
            destination.Slice(NonceSize + plaintext.Length, TagSize),
            associatedData);
    }

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedBox = new byte[SealedLength(plaintext.Length)];
        Seal(key, plaintext, associatedData, sealedBox);
        return sealedBox;
    }

    /// <summary>Decrypts and authenticates; false when the box was altered or the key is wrong.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedBox, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (sealedBox.Length < Overhead)
        {
            return false;
        }

        var length = sealedBox.Length - Overhead;
        if (destination.Length < length)
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        using var gcm = new AesGcm(key, TagSize);
        try
        {
            gcm.Decrypt(
                sealedBox[..NonceSize],
                sealedBox.Slice(NonceSize, length),
                sealedBox.Slice(NonceSize + length, TagSize),
                destination[..length],
                associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            destination[..length].Clear();
            return false;
        }
    }

    public static byte[]? TryOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedBox, ReadOnlySpan<byte> associatedData)
    {
        if (sealedBox.Length < Overhead)
        {
            return null;
        }

        var plaintext = new byte[sealedBox.Length - Overhead];
        return TryOpen(key, sealedBox, associatedData, plaintext) ? plaintext : null;
    }
}
