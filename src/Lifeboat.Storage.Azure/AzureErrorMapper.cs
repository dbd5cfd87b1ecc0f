using Azure;

namespace Lifeboat.Storage.Azure;

/// <summary>
/// Classifies Azure SDK failures as <see cref="StorageException"/>s. Messages name the location,
/// container and account and the service's error code; never a key, SAS token or connection string.
/// </summary>
internal static class AzureErrorMapper
{
    private static readonly HashSet<string> AuthCodes = new(StringComparer.Ordinal)
    {
        "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
        "AuthorizationProtocolMismatch", "AuthorizationResourceTypeMismatch", "AuthorizationServiceMismatch",
        "AuthorizationSourceIPMismatch", "InsufficientAccountPermissions", "AccountIsDisabled",
        "InvalidAuthenticationInfo", "NoAuthenticationInformation",
    };

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "ServerBusy", "InternalError", "OperationTimedOut", "ServiceUnavailable", "TooManyRequests",
        "ContainerBeingDeleted", "BlobBeingRehydrated",
    };

    /// <summary>
    /// Maps <paramref name="exception"/>, or returns null when it must propagate unchanged
    /// (cancellation requested by the caller, or already classified).
    /// </summary>
    public static StorageException? Map(Exception exception, string location, string account, string container, string? name, CancellationToken cancellationToken)
    {
        if (exception is StorageException || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return null;
        }

        var what = name is null ? location : $"'{name}' in {location}";
        return exception switch
        {
            RequestFailedException failed => MapService(failed, what, location, account, container, name),
            OperationCanceledException or TimeoutException =>
                new StorageException(StorageErrorKind.Transient, $"Azure request for {what} timed out", exception),
            HttpRequestException or IOException or System.Net.Sockets.SocketException or AggregateException =>
                new StorageException(StorageErrorKind.Transient, $"Azure request for {what} failed: {exception.GetType().Name}: {exception.Message}", exception),
            FormatException =>
                new StorageException(StorageErrorKind.Permanent, $"the Azure credentials for {location} are malformed (check AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN)"),
            _ => null,
        };
    }

    private static StorageException MapService(RequestFailedException exception, string what, string location, string account, string container, string? name)
    {
        var code = exception.ErrorCode ?? "";
        var status = exception.Status;
        var detail = code.Length == 0 ? $"HTTP {status}" : $"{code}, HTTP {status}";

        if (code == "ContainerNotFound")
        {
            return new StorageException(
                StorageErrorKind.Permanent,
                $"Azure container '{container}' does not exist in storage account '{account}' ({location}); fix the repository URL, or run 'lifeboat init', which creates it when the credentials allow",
                exception);
        }

        if (code is "BlobNotFound" || (status == 404 && name is not null && code.Length == 0))
        {
            return name is null
                ? new StorageException(StorageErrorKind.Permanent, $"Azure {location}: not found ({detail})", exception)
                : new StorageException(StorageErrorKind.NotFound, $"object '{name}' does not exist in {location}", exception);
        }

        if (code is "BlobAlreadyExists" or "ConditionNotMet" || status is 409 or 412 && name is not null && code.Length == 0)
        {
            return new StorageException(
                StorageErrorKind.AlreadyExists,
                $"object '{name}' already exists in {location} and objects are never overwritten ({detail})",
                exception);
        }

        if (code == "InvalidRange" || status == 416)
        {
            return new StorageException(StorageErrorKind.Permanent, $"the requested range lies beyond the end of {what}", exception);
        }

        // Azure Blob Storage documents no error code for a full account (its limits are in petabytes); a store
        // that answers HTTP 507 (Insufficient Storage, RFC 4918) is full. BlockCountExceedsLimit is a limit of one
        // blob's blocks, not of space.
        if (status == 507)
        {
            return StorageException.OutOfSpace(
                $"no space left in Azure storage account '{account}' ({location}) for {what} ({detail})",
                "free space in the account or raise its capacity",
                exception);
        }

        if (TransientCodes.Contains(code) || status >= 500 || status is 408 or 429 || status == 0)
        {
            return new StorageException(StorageErrorKind.Transient, $"Azure request for {what} failed ({detail}); worth retrying", exception);
        }

        if (AuthCodes.Contains(code) || status is 401 or 403)
        {
            return new StorageException(
                StorageErrorKind.Permanent,
                $"Azure access to container '{container}' of storage account '{account}' denied for {what} ({detail}): the key, SAS token or connection string is wrong, expired or lacks permission; check AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN",
                exception);
        }

        if (code is "ImmutabilityPolicyNotSupported" or "FeatureNotSupported" or "InvalidHeaderValue" && status == 400)
        {
            return new StorageException(
                StorageErrorKind.Permanent,
                $"Azure rejected a setting for {what} ({detail}); immutability needs version-level immutability on the container",
                exception);
        }

        return new StorageException(StorageErrorKind.Permanent, $"Azure request for {what} failed ({detail})", exception);
    }
}
