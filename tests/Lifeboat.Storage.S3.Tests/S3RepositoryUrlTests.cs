namespace Lifeboat.Storage.S3.Tests;

public sealed class S3RepositoryUrlTests
{
    [Fact]
    public void An_aws_url_names_bucket_and_prefix_without_endpoint()
    {
        var options = S3RepositoryUrl.Parse("s3://my-backups/prod/db1");

        options.Bucket.Should().Be("my-backups");
        options.Prefix.Should().Be("prod/db1");
        options.Endpoint.Should().BeNull();
        options.ForcePathStyle.Should().BeFalse();
        S3RepositoryUrl.Format(options).Should().Be("s3://my-backups/prod/db1");
    }

    [Theory]
    [InlineData("s3:https://abc.r2.cloudflarestorage.com/bucket/repo", "https://abc.r2.cloudflarestorage.com/", "bucket", "repo")]
    [InlineData("s3:http://127.0.0.1:9000/bucket/a/b/", "http://127.0.0.1:9000/", "bucket", "a/b")]
    [InlineData("s3:minio.example.com:9000/bucket", "https://minio.example.com:9000/", "bucket", "")]
    [InlineData("s3:https://ref.supabase.co/storage/v1/s3/bucket/repo", "https://ref.supabase.co/storage/v1/s3", "bucket", "repo")]
    public void An_endpoint_url_is_path_style(string url, string endpoint, string bucket, string prefix)
    {
        var options = S3RepositoryUrl.Parse(url);

        options.Endpoint.Should().Be(new Uri(endpoint));
        options.Bucket.Should().Be(bucket);
        options.Prefix.Should().Be(prefix);
        options.ForcePathStyle.Should().BeTrue();
        S3RepositoryUrl.Parse(S3RepositoryUrl.Format(options)).Should().Be(options, "the formatted location parses back");
    }

    [Fact]
    public void An_amazonaws_host_means_aws_with_its_region()
    {
        var options = S3RepositoryUrl.Parse("s3:s3.eu-west-1.amazonaws.com/bucket/repo");

        options.Endpoint.Should().BeNull();
        options.Region.Should().Be("eu-west-1");
        options.Bucket.Should().Be("bucket");
    }

    [Theory]
    [InlineData("s3://", "names no bucket")]
    [InlineData("s3:https://host", "names no bucket")]
    [InlineData("s3://Bad Bucket/x", "not a valid bucket name")]
    [InlineData("s3://bucket/a/../b", "segment")]
    [InlineData("s3:https://AKIA:topsecret@host/bucket", "credentials are not accepted")]
    [InlineData("gs://bucket", "starts with 's3:'")]
    public void Invalid_urls_are_refused_with_a_reason(string url, string reason)
    {
        S3RepositoryUrl.TryParse(url, out var options, out var error).Should().BeFalse();

        options.Should().BeNull();
        error.Should().Contain(reason).And.NotContain("topsecret");
    }

    [Fact]
    public void Only_s3_urls_match() =>
        new[] { "s3://b", "S3:https://h/b", "azure:c", "sftp:u@h:/p", "/local" }.Select(S3RepositoryUrl.IsMatch)
            .Should().Equal(true, true, false, false, false);
}
