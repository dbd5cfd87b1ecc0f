using System.Security.Cryptography;

namespace Lifeboat.Storage;

/// <summary>What <see cref="StorageProbe.RunAsync"/> found out about a store.</summary>
/// <param name="ReadsBackIntact">A small object written and read back came back byte for byte.</param>
/// <param name="RefusesOverwrite">Writing the same name again failed with <see cref="StorageErrorKind.AlreadyExists"/>.</param>
public sealed record StorageProbeResult(bool ReadsBackIntact, bool RefusesOverwrite);

/// <summary>
/// Checks the two promises of <see cref="IStorage"/> a repository cannot live without, on a real
/// store, with one small object: that what is written reads back intact, and that a second write
/// of the same name is refused. <c>init</c> runs it before it writes anything of the repository.
/// The object is named <c>probe/&lt;32 hex&gt;</c> and removed afterwards; one left by a crash is
/// recognised by <see cref="IsProbeObject"/> (init removes it, nothing else reads it).
/// </summary>
public static class StorageProbe
{
    /// <summary>Where probe objects live.</summary>
    public const string Prefix = "probe/";

    /// <summary>True for a name <see cref="RunAsync"/> writes.</summary>
    public static bool IsProbeObject(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) && name.Length == Prefix.Length + 32 && name[Prefix.Length..].All(char.IsAsciiHexDigitLower);

    /// <summary>Writes, reads back, rewrites and removes one small object.</summary>
    public static async Task<StorageProbeResult> RunAsync(IStorage storage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var name = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var content = RandomNumberGenerator.GetBytes(512);
        try
        {
            await storage.WriteAsync(name, content, cancellationToken);
            var back = await storage.ReadAsync(name, 0, null, cancellationToken);
            var intact = back.AsSpan().SequenceEqual(content);
            bool refuses;
            try
            {
                await storage.WriteAsync(name, RandomNumberGenerator.GetBytes(512), cancellationToken);
                refuses = false;
            }
            catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
            {
                refuses = true;
            }

            return new StorageProbeResult(intact, refuses);
        }
        finally
        {
            await DeleteQuietlyAsync(storage, name);
        }
    }

    private static async Task DeleteQuietlyAsync(IStorage storage, string name)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await storage.DeleteAsync(name, timeout.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            // Left behind it is recognisable (IsProbeObject): the next init removes it.
        }
    }
}
