namespace Lifeboat.Storage.Azure.Tests;

public sealed class AzureCredentialsTests
{
    private const string Key = "c2VjcmV0LWtleS1ub3QtdG8tYmUtcHJpbnRlZA==";

    [Fact]
    public void A_connection_string_comes_first_and_names_its_account()
    {
        var credentials = AzureCredentials.FromEnvironment(Variables(
            ("AZURE_STORAGE_CONNECTION_STRING", $"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={Key}"),
            ("AZURE_STORAGE_ACCOUNT", "other"),
            ("AZURE_STORAGE_KEY", Key)));

        credentials.Kind.Should().Be(AzureCredentialKind.ConnectionString);
        credentials.AccountName.Should().Be("acct");
        credentials.ToString().Should().NotContain(Key);
    }

    [Fact]
    public void An_account_and_key_use_the_public_endpoint_or_the_given_suffix()
    {
        var credentials = AzureCredentials.FromEnvironment(Variables(("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_KEY", Key)));
        var china = AzureCredentials.FromEnvironment(Variables(
            ("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_KEY", Key), ("AZURE_ENDPOINT_SUFFIX", "core.chinacloudapi.cn")));

        credentials.Kind.Should().Be(AzureCredentialKind.AccountKey);
        credentials.ServiceUri.Should().Be(new Uri("https://acct.blob.core.windows.net"));
        china.ServiceUri.Should().Be(new Uri("https://acct.blob.core.chinacloudapi.cn"));
        credentials.ToString().Should().NotContain(Key);
    }

    [Fact]
    public void An_account_and_sas_token_are_accepted()
    {
        var credentials = AzureCredentials.FromEnvironment(Variables(("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_SAS_TOKEN", "?sv=2024&sig=abc")));

        credentials.Kind.Should().Be(AzureCredentialKind.SasToken);
        credentials.ToString().Should().NotContain("sig=");
    }

    [Fact]
    public void No_credentials_is_a_permanent_error_that_lists_the_variables()
    {
        var error = FluentActions.Invoking(() => AzureCredentials.FromEnvironment(Variables(("AZURE_STORAGE_ACCOUNT", "acct"))))
            .Should().Throw<StorageException>().Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("AZURE_STORAGE_CONNECTION_STRING").And.Contain("AZURE_STORAGE_KEY").And.Contain("AZURE_STORAGE_SAS_TOKEN");
    }

    [Fact]
    public void A_malformed_connection_string_is_refused_without_quoting_it()
    {
        var options = new AzureBlobStorageOptions { Container = "c1c", Credentials = AzureCredentials.FromConnectionString($"AccountKey={Key};garbage") };

        var error = FluentActions.Invoking(() => new AzureBlobStorage(options)).Should().Throw<StorageException>().Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().NotContain(Key);
    }

    private static Func<string, string?> Variables(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
