using System.Security.Cryptography;
using Amazon.Runtime;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Storage.S3.Tests;

[Collection(S3rverCollection.Name)]
public sealed class S3StorageTests(S3rverFixture fixture)
{
    // s3rver does not verify SigV4 signatures, so a wrong secret key goes unnoticed there; an unknown
    // access key id is refused (InvalidAccessKeyId). SignatureDoesNotMatch is covered by S3ErrorMapperTests.
    [Fact]
    public async Task Unknown_credentials_are_a_permanent_error_that_names_the_bucket_and_not_the_secret()
    {
        const string secret = "not-the-right-secret-0123456789";
        await using var storage = new S3Storage(fixture.Options() with { Credentials = new BasicAWSCredentials("NOBODY", secret) });

        foreach (var operation in new Func<Task>[]
        {
            () => storage.WriteAsync("config", new byte[] { 1 }, default),
            () => storage.StatAsync("config", default),
            async () => await storage.ListAsync("", default).ToListAsync(),
        })
        {
            var error = (await operation.Should().ThrowAsync<StorageException>()).Which;
            error.Kind.Should().Be(StorageErrorKind.Permanent);
            error.Message.Should().Contain("bucket 'lifeboat'").And.Contain("denied").And.Contain("AWS_ACCESS_KEY_ID").And.NotContain(secret);
        }
    }

    [Fact]
    public async Task A_missing_bucket_is_a_permanent_error_naming_it_for_every_operation()
    {
        await using var storage = new S3Storage(fixture.Options() with { Bucket = "no-such-bucket" });

        foreach (var operation in new Func<Task>[]
        {
            () => storage.WriteAsync("config", new byte[] { 1 }, default),
            () => storage.ReadAsync("config", 0, null, default),
            () => storage.StatAsync("config", default),
            async () => await storage.ListAsync("", default).ToListAsync(),
            () => storage.DeleteAsync("config", default),
        })
        {
            var error = (await operation.Should().ThrowAsync<StorageException>()).Which;
            error.Kind.Should().Be(StorageErrorKind.Permanent);
            error.Message.Should().Contain("bucket 'no-such-bucket' does not exist");
        }
    }

    [Fact]
    public async Task A_large_object_goes_up_in_parallel_parts_and_reads_back_identically()
    {
        await using var storage = new S3Storage(fixture.Options() with
        {
            MultipartThreshold = 8L * 1024 * 1024,
            PartSize = 8L * 1024 * 1024,
            MaxParallelParts = 3,
        });
        var content = RandomNumberGenerator.GetBytes(40 * 1024 * 1024 + 123);

        await storage.WriteAsync("data/ab/large", content, default);

        (await storage.StatAsync("data/ab/large", default))!.Size.Should().Be(content.Length);
        (await storage.ReadAsync("data/ab/large", 0, null, default)).AsSpan().SequenceEqual(content).Should().BeTrue();
        (await storage.ReadAsync("data/ab/large", 8L * 1024 * 1024 - 5, 10, default)).Should().Equal(content[(8 * 1024 * 1024 - 5)..(8 * 1024 * 1024 + 5)]);
    }

    [Fact]
    public async Task A_multipart_upload_to_an_existing_name_is_refused_by_the_conditional_complete()
    {
        var options = fixture.Options() with { MultipartThreshold = 5L * 1024 * 1024, PartSize = 5L * 1024 * 1024 };
        await using var storage = new S3Storage(options);
        await storage.WriteAsync("data/ab/pack", new byte[] { 1, 2, 3 }, default);

        var error = (await FluentActions.Awaiting(() => storage.WriteAsync("data/ab/pack", new byte[11 * 1024 * 1024], default))
            .Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.AlreadyExists);
        (await storage.ReadAsync("data/ab/pack", 0, null, default)).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task Head_then_put_refuses_an_existing_name_on_a_service_without_conditional_writes()
    {
        await using var plain = await S3rverEmulator.StartAsync(conditionalWrites: false);
        var options = S3RepositoryUrl.Parse(plain.RepositoryUrl("repo")) with
        {
            Credentials = new BasicAWSCredentials(S3rverEmulator.AccessKey, S3rverEmulator.SecretKey),
            ChecksumMode = S3ChecksumMode.WhenRequired,
        };
        await using var headThenPut = new S3Storage(options with { NoOverwrite = S3NoOverwriteMode.HeadThenPut });
        await using var conditional = new S3Storage(options);
        await headThenPut.WriteAsync("keys/k1", new byte[] { 1 }, default);

        var error = (await FluentActions.Awaiting(() => headThenPut.WriteAsync("keys/k1", new byte[] { 2 }, default))
            .Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.AlreadyExists);
        // The reason the mode exists: a service that ignores If-None-Match silently overwrites.
        await conditional.WriteAsync("keys/k1", new byte[] { 3 }, default);
        (await headThenPut.ReadAsync("keys/k1", 0, null, default)).Should().Equal(3);
    }

    [Fact]
    public async Task The_prefix_isolates_repositories_in_one_bucket()
    {
        await using var first = new S3Storage(fixture.Options("shared/one"));
        await using var second = new S3Storage(fixture.Options("shared/one-more"));
        await first.WriteAsync("config", new byte[] { 1 }, default);
        await second.WriteAsync("config", new byte[] { 2 }, default);

        (await first.ListAsync("", default).ToListAsync()).Should().Equal(new ObjectInfo("config", 1));
        (await second.ReadAsync("config", 0, null, default)).Should().Equal(2);
        first.Location.Should().EndWith("/lifeboat/shared/one");
    }
}
