namespace Lifeboat.Storage.Azure;

/// <summary>
/// How to authenticate to Azure Blob Storage: a connection string, an account key, or a SAS
/// token. <see cref="ToString"/> never shows the secret part.
/// </summary>
public sealed class AzureCredentials
{
    private AzureCredentials(AzureCredentialKind kind, string? accountName, string secret, Uri? serviceUri)
    {
        Kind = kind;
        AccountName = accountName;
        Secret = secret;
        ServiceUri = serviceUri;
    }

    /// <summary>Which kind of secret this is.</summary>
    public AzureCredentialKind Kind { get; }

    /// <summary>The storage account, when known (from the connection string or the environment).</summary>
    public string? AccountName { get; }

    /// <summary>
    /// The blob service endpoint; null means <c>https://ACCOUNT.blob.core.windows.net</c> (or the
    /// endpoint in the connection string).
    /// </summary>
    public Uri? ServiceUri { get; }

    internal string Secret { get; }

    /// <summary>A full connection string (as AZURE_STORAGE_CONNECTION_STRING).</summary>
    public static AzureCredentials FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new AzureCredentials(AzureCredentialKind.ConnectionString, ConnectionStringValue(connectionString, "AccountName"), connectionString, null);
    }

    /// <summary>An account name and key (as AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY).</summary>
    public static AzureCredentials FromAccountKey(string accountName, string accountKey, Uri? serviceUri = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountKey);
        return new AzureCredentials(AzureCredentialKind.AccountKey, accountName, accountKey, serviceUri ?? DefaultServiceUri(accountName));
    }

    /// <summary>An account name and a SAS token (as AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_SAS_TOKEN).</summary>
    public static AzureCredentials FromSasToken(string accountName, string sasToken, Uri? serviceUri = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentException.ThrowIfNullOrWhiteSpace(sasToken);
        return new AzureCredentials(AzureCredentialKind.SasToken, accountName, sasToken.TrimStart('?'), serviceUri ?? DefaultServiceUri(accountName));
    }

    /// <summary>
    /// Reads the credentials from the environment, in this order: AZURE_STORAGE_CONNECTION_STRING;
    /// AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY; AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_SAS_TOKEN.
    /// AZURE_ENDPOINT_SUFFIX (default <c>core.windows.net</c>) selects a sovereign cloud.
    /// </summary>
    /// <exception cref="StorageException">Permanent: no usable combination is set.</exception>
    public static AzureCredentials FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        if (getVariable("AZURE_STORAGE_CONNECTION_STRING") is { Length: > 0 } connectionString)
        {
            return FromConnectionString(connectionString);
        }

        var account = getVariable("AZURE_STORAGE_ACCOUNT");
        if (account is { Length: > 0 })
        {
            var suffix = getVariable("AZURE_ENDPOINT_SUFFIX") is { Length: > 0 } s ? s : "core.windows.net";
            var serviceUri = new Uri($"https://{account}.blob.{suffix}");
            if (getVariable("AZURE_STORAGE_KEY") is { Length: > 0 } key)
            {
                return FromAccountKey(account, key, serviceUri);
            }

            if (getVariable("AZURE_STORAGE_SAS_TOKEN") is { Length: > 0 } sas)
            {
                return FromSasToken(account, sas, serviceUri);
            }
        }

        throw new StorageException(
            StorageErrorKind.Permanent,
            "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN");
    }

    /// <summary>Names the kind and account, never the secret.</summary>
    public override string ToString() => $"{Kind} for account '{AccountName ?? "?"}'";

    private static Uri DefaultServiceUri(string accountName) => new($"https://{accountName}.blob.core.windows.net");

    private static string? ConnectionStringValue(string connectionString, string key)
    {
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part[..equals].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return part[(equals + 1)..].Trim();
            }
        }

        return null;
    }
}

/// <summary>The kinds of Azure credentials Lifeboat takes.</summary>
public enum AzureCredentialKind
{
    /// <summary>A storage connection string.</summary>
    ConnectionString,

    /// <summary>A shared account key.</summary>
    AccountKey,

    /// <summary>A shared access signature.</summary>
    SasToken,
}
