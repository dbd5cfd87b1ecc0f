namespace Lifeboat.Storage.Azure;

/// <summary>
/// Where and how an <see cref="AzureBlobStorage"/> stores objects: a container and a blob name
/// prefix. Parse a repository URL with <see cref="AzureRepositoryUrl.TryParse"/> and adjust the
/// rest with <c>with</c> expressions.
/// </summary>
public sealed record AzureBlobStorageOptions
{
    /// <summary>The container; <c>init</c> creates it when it does not exist (<see cref="IContainerCreation"/>).</summary>
    public required string Container { get; init; }

    /// <summary>Blob name prefix inside the container, without leading or trailing slash.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Credentials; null reads them from the environment (<see cref="AzureCredentials.FromEnvironment"/>).</summary>
    public AzureCredentials? Credentials { get; init; }

    /// <summary>Objects up to this size go up in one Put Blob request; larger ones as blocks.</summary>
    public long SingleUploadThreshold { get; init; } = 32L * 1024 * 1024;

    /// <summary>Block size of block uploads (Put Block + Put Block List).</summary>
    public long BlockSize { get; init; } = 8L * 1024 * 1024;

    /// <summary>How many blocks of one object are uploaded at the same time.</summary>
    public int MaxParallelBlocks { get; init; } = 4;

    /// <summary>Access tier of new blobs (<c>Hot</c>, <c>Cool</c>, <c>Cold</c>, <c>Archive</c>); null = the account default.</summary>
    public string? AccessTier { get; init; }

    /// <summary>
    /// When set, every blob gets an unlocked time-based immutability policy of this many days
    /// (the container or account must have version-level immutability enabled).
    /// </summary>
    public int? ImmutabilityDays { get; init; }

    /// <summary>Blobs per listing page (the service caps it at 5,000); null = service default.</summary>
    public int? ListPageSize { get; init; }

    /// <summary>
    /// Retries inside the Azure SDK per request. Lifeboat's own retry wrapper is the main retry,
    /// so this stays small to avoid multiplying attempts.
    /// </summary>
    public int SdkMaxRetries { get; init; } = 2;

    /// <summary>Timeout of one network operation; null = the SDK default (100 s).</summary>
    public TimeSpan? NetworkTimeout { get; init; }
}
