using Azure;

namespace Lifeboat.Storage.Azure.Tests;

public sealed class AzureErrorMapperTests
{
    [Theory]
    [InlineData(404, "BlobNotFound", StorageErrorKind.NotFound)]
    [InlineData(404, "ContainerNotFound", StorageErrorKind.Permanent)]
    [InlineData(409, "BlobAlreadyExists", StorageErrorKind.AlreadyExists)]
    [InlineData(412, "ConditionNotMet", StorageErrorKind.AlreadyExists)]
    [InlineData(403, "AuthenticationFailed", StorageErrorKind.Permanent)]
    [InlineData(403, "AuthorizationPermissionMismatch", StorageErrorKind.Permanent)]
    [InlineData(503, "ServerBusy", StorageErrorKind.Transient)]
    [InlineData(500, "InternalError", StorageErrorKind.Transient)]
    [InlineData(500, "OperationTimedOut", StorageErrorKind.Transient)]
    [InlineData(429, "", StorageErrorKind.Transient)]
    [InlineData(0, "", StorageErrorKind.Transient)]
    [InlineData(416, "InvalidRange", StorageErrorKind.Permanent)]
    [InlineData(507, "", StorageErrorKind.OutOfSpace)]
    [InlineData(409, "BlockCountExceedsLimit", StorageErrorKind.Permanent)]
    [InlineData(403, "InsufficientAccountPermissions", StorageErrorKind.Permanent)]
    [InlineData(413, "RequestBodyTooLarge", StorageErrorKind.Permanent)]
    [InlineData(400, "InvalidQueryParameterValue", StorageErrorKind.Permanent)]
    public void Service_errors_are_classified(int status, string code, StorageErrorKind kind)
    {
        var exception = new RequestFailedException(status, "message", code, null);

        Map(exception)!.Kind.Should().Be(kind);
    }

    [Fact]
    public void Network_failures_and_timeouts_are_transient()
    {
        Map(new HttpRequestException("connection reset"))!.Kind.Should().Be(StorageErrorKind.Transient);
        Map(new IOException("broken pipe"))!.Kind.Should().Be(StorageErrorKind.Transient);
        Map(new TaskCanceledException("timeout"))!.Kind.Should().Be(StorageErrorKind.Transient);
    }

    [Fact]
    public void A_cancellation_requested_by_the_caller_is_not_mapped()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        AzureErrorMapper.Map(new TaskCanceledException(), "azure:c", "acct", "c", "config", cancellation.Token).Should().BeNull();
    }

    [Fact]
    public void An_out_of_space_error_names_the_account_says_what_to_do_and_that_nothing_saved_is_lost()
    {
        var mapped = Map(new RequestFailedException(507, "Insufficient Storage", "", null))!;

        mapped.Message.Should().Contain("no space left in Azure storage account 'acct' (azure:c/repo)").And.Contain("HTTP 507")
            .And.Contain("free space in the account").And.Contain("nothing already saved is lost");
    }

    private static StorageException? Map(Exception exception) =>
        AzureErrorMapper.Map(exception, "azure:c/repo", "acct", "c", "config", CancellationToken.None);
}
