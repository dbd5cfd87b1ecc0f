namespace Lifeboat.Repository.Crypto;

/// <summary>Argon2id cost parameters, stored in each key file.</summary>
public sealed record KdfParameters(int MemoryKiB, int Iterations, int Parallelism)
{
    /// <summary>64 MiB, 3 passes: about a quarter of a second here.</summary>
    public static KdfParameters Default { get; } = new(64 * 1024, 3, 1);

    public const int MinimumMemoryKiB = 8 * 1024;

    public void Validate()
    {
        if (MemoryKiB < MinimumMemoryKiB || MemoryKiB > 4 * 1024 * 1024 || Iterations < 1 || Iterations > 64 || Parallelism != 1)
        {
            throw new ArgumentException(
                $"KDF parameters out of range (memory {MemoryKiB} KiB, {Iterations} passes, parallelism {Parallelism}): memory must be 8 MiB to 4 GiB, 1 to 64 passes, parallelism 1");
        }
    }
}
