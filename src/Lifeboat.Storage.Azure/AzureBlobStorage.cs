using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Lifeboat.Storage.Azure;

/// <summary>
/// An <see cref="IStorage"/> over an Azure Blob Storage container and blob name prefix. Writes are
/// conditional (<c>If-None-Match: *</c>), so an existing blob is never replaced; large objects go up
/// as blocks that become visible only when the block list is committed.
/// </summary>
public sealed class AzureBlobStorage : IStorage, IContainerCreation
{
    private readonly BlobContainerClient _container;
    private readonly AzureBlobStorageOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly string _root;
    private readonly string _account;
    private volatile bool _containerVerified;

    /// <summary>Opens the container described by <paramref name="options"/>; nothing is sent until the first call.</summary>
    /// <exception cref="StorageException">Permanent: no credentials, or malformed ones.</exception>
    public AzureBlobStorage(AzureBlobStorageOptions options, TimeProvider? timeProvider = null)
        : this(options, timeProvider, configureClient: null)
    {
    }

    /// <summary>For tests: lets them add pipeline policies to the SDK client.</summary>
    internal AzureBlobStorage(AzureBlobStorageOptions options, TimeProvider? timeProvider, Action<BlobClientOptions>? configureClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Container);
        if (options.BlockSize < 1 || options.MaxParallelBlocks < 1 || options.ListPageSize is < 1 or > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BlockSize and MaxParallelBlocks must be positive, ListPageSize 1..5000");
        }

        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _root = options.Prefix.Trim('/') is { Length: > 0 } prefix ? prefix + "/" : "";
        Location = AzureRepositoryUrl.Format(options);
        var credentials = options.Credentials ?? AzureCredentials.FromEnvironment();
        var service = CreateServiceClient(credentials, options, Location, configureClient);
        _account = credentials.AccountName ?? service.AccountName;
        _container = service.GetBlobContainerClient(options.Container);
    }

    /// <summary>Opens the repository at an Azure URL (see <see cref="AzureRepositoryUrl"/>) with credentials from the environment.</summary>
    /// <exception cref="FormatException">The URL is not a valid Azure repository URL.</exception>
    public static AzureBlobStorage Open(string url, TimeProvider? timeProvider = null) =>
        new(AzureRepositoryUrl.Parse(url), timeProvider);

    /// <inheritdoc />
    public string Location { get; }

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        var upload = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = _options.SingleUploadThreshold,
                MaximumTransferSize = _options.BlockSize,
                MaximumConcurrency = _options.MaxParallelBlocks,
            },
        };
        if (_options.AccessTier is { Length: > 0 } tier)
        {
            upload.AccessTier = new AccessTier(tier);
        }

        if (_options.ImmutabilityDays is { } days)
        {
            upload.ImmutabilityPolicy = new BlobImmutabilityPolicy
            {
                ExpiresOn = _timeProvider.GetUtcNow().AddDays(days),
                PolicyMode = BlobImmutabilityPolicyMode.Unlocked,
            };
        }

        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(content), upload, cancellationToken);
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        ObjectRange.ValidateArguments(offset, length);
        var blob = Blob(name);
        try
        {
            if (length == 0)
            {
                var size = await SizeOrThrowAsync(blob, name, cancellationToken);
                ObjectRange.Resolve(Location, name, size, offset, length);
                return [];
            }

            byte[] data;
            try
            {
                var download = await blob.DownloadStreamingAsync(
                    new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken);
                using var result = download.Value;
                data = await ReadAllAsync(result.Content, result.Details.ContentLength, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 416 || ex.ErrorCode == "InvalidRange")
            {
                // A range starting at the end is unsatisfiable for Azure, but it is the (empty) rest of the object.
                var size = await SizeOrThrowAsync(blob, name, cancellationToken);
                ObjectRange.Resolve(Location, name, size, offset, length);
                return [];
            }

            if (length is { } expected && data.Length != expected)
            {
                ObjectRange.Resolve(Location, name, offset + data.Length, offset, length);
            }

            return data;
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            return await SizeAsync(blob, cancellationToken) is { } size ? new ObjectInfo(name, size) : null;
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        ObjectNames.ValidatePrefix(prefix);
        return ListValidatedAsync(prefix, cancellationToken);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == "BlobNotFound")
        {
            // Removing a blob that does not exist is not an error.
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    /// <remarks>
    /// The data-plane API cannot enable version-level immutability on a new container, so with
    /// <see cref="AzureBlobStorageOptions.ImmutabilityDays"/> a missing container is refused with
    /// how to create it; the access tier is per blob and needs nothing of the container.
    /// </remarks>
    public async Task<bool> CreateContainerIfMissingAsync(CancellationToken cancellationToken)
    {
        try
        {
            if ((await _container.ExistsAsync(cancellationToken)).Value)
            {
                return false;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // credentials scoped to blobs cannot look at the container: it may well exist, the first blob operation tells
            return false;
        }
        catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }

        if (_options.ImmutabilityDays is not null)
        {
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"Azure container '{_options.Container}' does not exist in storage account '{_account}' ({Location}), and azure.immutability-days needs " +
                "version-level immutability, which only the management API can switch on: create it with " +
                $"'az storage container-rm create --storage-account {_account} --name {_options.Container} --enable-vlw', then run init again");
        }

        try
        {
            return await _container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken) is not null;
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"Azure container '{_options.Container}' does not exist in storage account '{_account}' and these credentials may not create it ({ex.ErrorCode}, HTTP 403): " +
                "creating needs the role 'Storage Blob Data Contributor' (action Microsoft.Storage/storageAccounts/blobServices/containers/write), " +
                "or an account SAS with resource type container (srt=c) and permission create or write; create the container by hand or grant that, then run init again",
                ex);
        }
        catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    private async IAsyncEnumerable<ObjectInfo> ListValidatedAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _root + prefix }, cancellationToken)
            .AsPages(continuationToken: null, pageSizeHint: _options.ListPageSize);
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            Page<BlobItem> page;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }

                page = enumerator.Current;
            }
            catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
            {
                throw mapped;
            }

            _containerVerified = true;
            foreach (var item in page.Values)
            {
                if (item.Name.Length > _root.Length)
                {
                    yield return new ObjectInfo(item.Name[_root.Length..], item.Properties.ContentLength ?? 0);
                }
            }
        }
    }

    /// <summary>The blob's size, or null when it does not exist (after making sure the container does).</summary>
    private async Task<long?> SizeAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            _containerVerified = true;
            return properties.Value.ContentLength;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode != "ContainerNotFound")
        {
            if (!_containerVerified)
            {
                // Make a missing container a clear error rather than "no such object".
                await _container.GetPropertiesAsync(cancellationToken: cancellationToken);
                _containerVerified = true;
            }

            return null;
        }
    }

    private async Task<long> SizeOrThrowAsync(BlobClient blob, string name, CancellationToken cancellationToken) =>
        await SizeAsync(blob, cancellationToken) ?? throw StorageException.NotFound(Location, name);

    private static async Task<byte[]> ReadAllAsync(Stream stream, long declared, CancellationToken cancellationToken)
    {
        await using (stream)
        {
            if (declared >= 0 && declared <= Array.MaxLength)
            {
                var buffer = new byte[declared];
                await stream.ReadExactlyAsync(buffer, cancellationToken);
                return buffer;
            }

            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            return copy.ToArray();
        }
    }

    private BlobClient Blob(string name)
    {
        ObjectNames.Validate(name);
        return _container.GetBlobClient(_root + name);
    }

    private StorageException? Map(Exception exception, string? name, CancellationToken cancellationToken) =>
        AzureErrorMapper.Map(exception, Location, _account, _options.Container, name, cancellationToken);

    private static BlobServiceClient CreateServiceClient(
        AzureCredentials credentials, AzureBlobStorageOptions options, string location, Action<BlobClientOptions>? configureClient)
    {
        var clientOptions = new BlobClientOptions();
        configureClient?.Invoke(clientOptions);
        clientOptions.Retry.MaxRetries = options.SdkMaxRetries;
        if (options.NetworkTimeout is { } timeout)
        {
            clientOptions.Retry.NetworkTimeout = timeout;
        }

        try
        {
            return credentials.Kind switch
            {
                AzureCredentialKind.ConnectionString => new BlobServiceClient(credentials.Secret, clientOptions),
                AzureCredentialKind.AccountKey => new BlobServiceClient(
                    credentials.ServiceUri!, new StorageSharedKeyCredential(credentials.AccountName!, credentials.Secret), clientOptions),
                _ => new BlobServiceClient(credentials.ServiceUri!, new AzureSasCredential(credentials.Secret), clientOptions),
            };
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The SDK's message may quote the secret: do not pass it on.
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"the Azure {credentials.Kind} for {location} is malformed; check AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN");
        }
    }
}
