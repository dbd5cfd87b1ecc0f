namespace Lifeboat.Storage.Azure.Tests;

public sealed class AzureRepositoryUrlTests
{
    [Theory]
    [InlineData("azure:backups/prod/db1", "backups", "prod/db1")]
    [InlineData("azure:backups", "backups", "")]
    [InlineData("azure://backups/x/", "backups", "x")]
    public void A_url_names_container_and_prefix(string url, string container, string prefix)
    {
        var options = AzureRepositoryUrl.Parse(url);

        options.Container.Should().Be(container);
        options.Prefix.Should().Be(prefix);
    }

    [Theory]
    [InlineData("azure:", "names no container")]
    [InlineData("azure:Upper/x", "not a valid container name")]
    [InlineData("azure:a--b/x", "not a valid container name")]
    [InlineData("azure:ok-name/a//b", "segment")]
    [InlineData("s3://bucket", "starts with 'azure:'")]
    public void Invalid_urls_are_refused_with_a_reason(string url, string reason)
    {
        AzureRepositoryUrl.TryParse(url, out var options, out var error).Should().BeFalse();

        options.Should().BeNull();
        error.Should().Contain(reason);
    }
}
