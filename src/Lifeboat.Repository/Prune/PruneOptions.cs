using System.Globalization;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Prune;

/// <summary>How much unused data prune may leave behind, and what it assumes.</summary>
public sealed record PruneOptions
{
    /// <summary>
    /// The share of the remaining data that may be unused (0 to 1, exclusive of 1; null:
    /// unlimited, i.e. only packs without any used blob are removed). Packs with the largest
    /// unused share are repacked first until the rest fits this budget.
    /// </summary>
    public double? MaxUnused { get; init; } = 0.05;

    /// <summary>The exclusive lock prune holds; checked before the first deletion (see <see cref="RepositoryLock.ThrowIfLost"/>).</summary>
    public RepositoryLock? Lock { get; init; }

    /// <summary>Plan and report only; change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Snapshots to treat as gone (forget --dry-run --prune shows what a real run would free).</summary>
    public IReadOnlySet<BlobId> IgnoreSnapshots { get; init; } = new HashSet<BlobId>();

    /// <summary>Temporary files of interrupted writes older than this are removed (storage permitting).</summary>
    public TimeSpan TemporaryFileAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Parses "5%", "0%", "unlimited" (also "0.05").</summary>
    public static double? ParseMaxUnused(string text)
    {
        var trimmed = text.Trim();
        if (string.Equals(trimmed, "unlimited", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var percent = trimmed.EndsWith('%');
        if (double.TryParse(trimmed.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            var fraction = percent ? value / 100 : value;
            if (fraction is >= 0 and < 1)
            {
                return fraction;
            }
        }

        throw new InvalidRequestException($"--max-unused '{text}' must be a percentage from 0% to below 100% (e.g. 5%), or 'unlimited'");
    }
}

/// <summary>What prune found and did (or, in a dry run, would do).</summary>
public sealed record PruneReport
{
    public bool DryRun { get; init; }

    public int Snapshots { get; init; }

    public int IndexFilesBefore { get; init; }

    public int IndexFilesWritten { get; init; }

    public int IndexFilesDeleted { get; init; }

    public int PacksBefore { get; init; }

    public int PacksAfter { get; init; }

    /// <summary>Packs in no index (left by interrupted backups or prunes), removed.</summary>
    public int UnreferencedPacksDeleted { get; init; }

    /// <summary>Indexed packs without a single used blob, removed.</summary>
    public int UnusedPacksDeleted { get; init; }

    /// <summary>Packs whose used blobs were copied into new packs, then removed.</summary>
    public int PacksRepacked { get; init; }

    public int PacksWritten { get; init; }

    public long BlobsCopied { get; init; }

    public long BytesCopied { get; init; }

    /// <summary>Packs an index listed but storage did not have (holding nothing any snapshot needs), dropped from the index.</summary>
    public int MissingPacksDropped { get; init; }

    public long UsedBytes { get; init; }

    public long UnusedBytesBefore { get; init; }

    public long UnusedBytesAfter { get; init; }

    /// <summary>All objects in the repository (data, index, snapshots, ...) before prune.</summary>
    public long RepositoryBytesBefore { get; init; }

    /// <summary>After prune (predicted in a dry run).</summary>
    public long RepositoryBytesAfter { get; init; }

    public long BytesFreed => RepositoryBytesBefore - RepositoryBytesAfter;

    public int TemporaryFilesRemoved { get; init; }

    public double Seconds { get; init; }

    /// <summary>Seconds spent per phase (reading index, finding used data, repacking, ...).</summary>
    public IReadOnlyDictionary<string, double> PhaseSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>True when there was nothing to remove, repack or consolidate.</summary>
    public bool NothingToDo { get; init; }
}
