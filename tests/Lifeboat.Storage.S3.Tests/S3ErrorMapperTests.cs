using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace Lifeboat.Storage.S3.Tests;

public sealed class S3ErrorMapperTests
{
    [Theory]
    [InlineData("NoSuchKey", HttpStatusCode.NotFound, StorageErrorKind.NotFound)]
    [InlineData("NoSuchBucket", HttpStatusCode.NotFound, StorageErrorKind.Permanent)]
    [InlineData("AccessDenied", HttpStatusCode.Forbidden, StorageErrorKind.Permanent)]
    [InlineData("InvalidAccessKeyId", HttpStatusCode.Forbidden, StorageErrorKind.Permanent)]
    [InlineData("SignatureDoesNotMatch", HttpStatusCode.Forbidden, StorageErrorKind.Permanent)]
    [InlineData("PreconditionFailed", HttpStatusCode.PreconditionFailed, StorageErrorKind.AlreadyExists)]
    [InlineData("ConditionalRequestConflict", HttpStatusCode.Conflict, StorageErrorKind.Transient)]
    [InlineData("SlowDown", HttpStatusCode.ServiceUnavailable, StorageErrorKind.Transient)]
    [InlineData("InternalError", HttpStatusCode.InternalServerError, StorageErrorKind.Transient)]
    [InlineData("", HttpStatusCode.BadGateway, StorageErrorKind.Transient)]
    [InlineData("RequestTimeout", HttpStatusCode.BadRequest, StorageErrorKind.Transient)]
    [InlineData("", HttpStatusCode.TooManyRequests, StorageErrorKind.Transient)]
    [InlineData("NotImplemented", HttpStatusCode.NotImplemented, StorageErrorKind.Permanent)]
    [InlineData("InvalidRange", HttpStatusCode.RequestedRangeNotSatisfiable, StorageErrorKind.Permanent)]
    [InlineData("QuotaExceeded", HttpStatusCode.Forbidden, StorageErrorKind.OutOfSpace)]
    [InlineData("XMinioStorageFull", HttpStatusCode.InsufficientStorage, StorageErrorKind.OutOfSpace)]
    [InlineData("XMinioAdminBucketQuotaExceeded", HttpStatusCode.BadRequest, StorageErrorKind.OutOfSpace)]
    [InlineData("", HttpStatusCode.InsufficientStorage, StorageErrorKind.OutOfSpace)]
    [InlineData("EntityTooLarge", HttpStatusCode.BadRequest, StorageErrorKind.Permanent)]
    [InlineData("InvalidArgument", HttpStatusCode.BadRequest, StorageErrorKind.Permanent)]
    public void Service_errors_are_classified(string code, HttpStatusCode status, StorageErrorKind kind)
    {
        var exception = new AmazonS3Exception("message", ErrorType.Sender, code, "request-id", status);

        Map(exception)!.Kind.Should().Be(kind);
    }

    [Fact]
    public void Network_failures_and_timeouts_are_transient()
    {
        Map(new HttpRequestException("connection reset"))!.Kind.Should().Be(StorageErrorKind.Transient);
        Map(new IOException("broken pipe"))!.Kind.Should().Be(StorageErrorKind.Transient);
        Map(new TaskCanceledException("timeout"))!.Kind.Should().Be(StorageErrorKind.Transient);
        Map(new AmazonClientException("send failed", new HttpRequestException("reset")))!.Kind.Should().Be(StorageErrorKind.Transient);
    }

    [Fact]
    public void Missing_credentials_are_permanent_and_say_where_they_come_from() =>
        Map(new AmazonClientException("Unable to find credentials"))!.Message.Should().Contain("AWS_ACCESS_KEY_ID");

    [Fact]
    public void A_cancellation_requested_by_the_caller_is_not_mapped()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        S3ErrorMapper.Map(new TaskCanceledException(), "s3://b", "b", "config", cancellation.Token).Should().BeNull();
    }

    [Fact]
    public void An_out_of_space_error_names_the_store_and_the_bucket_says_what_to_do_and_that_nothing_saved_is_lost()
    {
        var exception = new AmazonS3Exception("Storage backend has reached its minimum free drive threshold.", ErrorType.Sender, "XMinioStorageFull", "request-id", HttpStatusCode.InsufficientStorage);

        var mapped = Map(exception)!;

        mapped.Message.Should().Contain("no space left on S3 s3://bucket/repo").And.Contain("XMinioStorageFull, HTTP 507")
            .And.Contain("raise the quota of bucket 'bucket'").And.Contain("nothing already saved is lost");
    }

    private static StorageException? Map(Exception exception) =>
        S3ErrorMapper.Map(exception, "s3://bucket/repo", "bucket", "config", CancellationToken.None);
}
