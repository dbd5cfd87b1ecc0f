using System.Numerics;

namespace Lifeboat.Repository.Chunking;

/// <summary>Content-defined chunking sizes, stored in the repository config.</summary>
public sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize)
{
    /// <summary>256 KiB minimum, 1 MiB average, 4 MiB maximum.</summary>
    public static ChunkerParameters Default { get; } = new(256 * 1024, 1024 * 1024, 4 * 1024 * 1024);

    /// <summary>Sizes around an average: a quarter of it minimum, four times it maximum.</summary>
    public static ChunkerParameters ForAverage(int averageSize) => new(averageSize / 4, averageSize, averageSize * 4);

    public void Validate()
    {
        if (MinSize < 64 || !BitOperations.IsPow2(AverageSize) || MinSize >= AverageSize || AverageSize >= MaxSize || MaxSize > 64 * 1024 * 1024)
        {
            throw new ArgumentException(
                $"chunker sizes {MinSize}/{AverageSize}/{MaxSize} are invalid: need 64 <= min < average < max <= 64 MiB and a power-of-two average");
        }
    }
}
