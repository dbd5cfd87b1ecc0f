using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Storage.Azure.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStorageTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task A_wrong_account_key_is_a_permanent_error_that_names_the_container_and_not_the_key()
    {
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        await using var storage = new AzureBlobStorage(fixture.Options() with
        {
            Credentials = AzureCredentials.FromAccountKey(AzuriteEmulator.AccountName, wrongKey, fixture.Emulator.BlobEndpoint),
        });

        foreach (var operation in new Func<Task>[]
        {
            () => storage.WriteAsync("config", new byte[] { 1 }, default),
            () => storage.ReadAsync("config", 0, null, default),
            () => storage.StatAsync("config", default),
            async () => await storage.ListAsync("", default).ToListAsync(),
        })
        {
            var error = (await operation.Should().ThrowAsync<StorageException>()).Which;
            error.Kind.Should().Be(StorageErrorKind.Permanent);
            error.Message.Should().Contain("container 'lifeboat'").And.Contain("'devstoreaccount1'").And.Contain("denied").And.NotContain(wrongKey);
        }
    }

    [Fact]
    public async Task A_missing_container_is_a_permanent_error_naming_it_for_every_operation()
    {
        await using var storage = new AzureBlobStorage(fixture.Options() with { Container = "no-such-container" });

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
            error.Message.Should().Contain("container 'no-such-container' does not exist");
        }
    }

    [Fact]
    public async Task A_large_object_goes_up_in_parallel_blocks_and_reads_back_identically()
    {
        await using var storage = new AzureBlobStorage(fixture.Options() with
        {
            SingleUploadThreshold = 8L * 1024 * 1024,
            BlockSize = 8L * 1024 * 1024,
            MaxParallelBlocks = 3,
        });
        var content = RandomNumberGenerator.GetBytes(40 * 1024 * 1024 + 123);

        await storage.WriteAsync("data/ab/large", content, default);

        (await storage.StatAsync("data/ab/large", default))!.Size.Should().Be(content.Length);
        (await storage.ReadAsync("data/ab/large", 0, null, default)).AsSpan().SequenceEqual(content).Should().BeTrue();
        (await storage.ReadAsync("data/ab/large", 8L * 1024 * 1024 - 5, 10, default)).Should().Equal(content[(8 * 1024 * 1024 - 5)..(8 * 1024 * 1024 + 5)]);
    }

    [Fact]
    public async Task A_block_upload_to_an_existing_name_is_refused_by_the_conditional_commit()
    {
        await using var storage = new AzureBlobStorage(fixture.Options() with { SingleUploadThreshold = 1024 * 1024, BlockSize = 1024 * 1024 });
        await storage.WriteAsync("data/ab/pack", new byte[] { 1, 2, 3 }, default);

        var error = (await FluentActions.Awaiting(() => storage.WriteAsync("data/ab/pack", new byte[3 * 1024 * 1024 + 1], default))
            .Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.AlreadyExists);
        (await storage.ReadAsync("data/ab/pack", 0, null, default)).Should().Equal(1, 2, 3);
        (await storage.ListAsync("data/", default).ToListAsync()).Should().Equal(new ObjectInfo("data/ab/pack", 3));
    }

    [Fact]
    public async Task A_sas_token_scoped_to_the_container_works()
    {
        var container = new BlobContainerClient(fixture.Emulator.ConnectionString, AzuriteFixture.Container);
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1)).Query;
        await using var storage = new AzureBlobStorage(fixture.Options() with
        {
            Credentials = AzureCredentials.FromSasToken(AzuriteEmulator.AccountName, sas, fixture.Emulator.BlobEndpoint),
        });

        await storage.WriteAsync("snapshots/s1", new byte[] { 7 }, default);

        (await storage.ReadAsync("snapshots/s1", 0, null, default)).Should().Equal(7);
        storage.Location.Should().NotContain("sig=");
    }

    [Fact]
    public async Task The_prefix_isolates_repositories_in_one_container()
    {
        await using var first = new AzureBlobStorage(fixture.Options("shared/one"));
        await using var second = new AzureBlobStorage(fixture.Options("shared/one-more"));
        await first.WriteAsync("config", new byte[] { 1 }, default);
        await second.WriteAsync("config", new byte[] { 2 }, default);

        (await first.ListAsync("", default).ToListAsync()).Should().Equal(new ObjectInfo("config", 1));
        (await second.ReadAsync("config", 0, null, default)).Should().Equal(2);
        first.Location.Should().Be("azure:lifeboat/shared/one");
    }

    [Fact]
    public async Task A_missing_container_for_an_immutable_repository_is_not_created_and_the_error_says_how_to_create_it()
    {
        var name = "immutable-" + Guid.NewGuid().ToString("N")[..8];
        await using var storage = new AzureBlobStorage(fixture.Options() with { Container = name, ImmutabilityDays = 7 });

        var error = (await storage.Invoking(s => s.CreateContainerIfMissingAsync(default)).Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain($"container '{name}' does not exist").And.Contain("azure.immutability-days").And.Contain("--enable-vlw");
        (await new BlobContainerClient(fixture.Emulator.ConnectionString, name).ExistsAsync()).Value.Should().BeFalse();
    }

    [Fact]
    public async Task A_missing_container_is_created_once_and_an_existing_one_is_left_alone()
    {
        var name = "created-" + Guid.NewGuid().ToString("N")[..8];
        await using var storage = new AzureBlobStorage(fixture.Options() with { Container = name, AccessTier = "Cool" });

        var first = await storage.CreateContainerIfMissingAsync(default);
        var second = await storage.CreateContainerIfMissingAsync(default);
        await storage.WriteAsync("config", new byte[] { 1 }, default);

        (first, second).Should().Be((true, false));
        (await storage.ReadAsync("config", 0, null, default)).Should().Equal(1);
    }

    // azurite 3.35 accepts and ignores immutability policies, so the test checks what is sent.
    [Fact]
    public async Task An_unlocked_immutability_policy_is_sent_with_each_blob()
    {
        var headers = new HeaderCapture();
        await using var storage = new AzureBlobStorage(
            fixture.Options() with { ImmutabilityDays = 7 },
            timeProvider: null,
            options => options.AddPolicy(headers, HttpPipelinePosition.PerCall));

        await storage.WriteAsync("snapshots/s1", new byte[] { 1 }, default);

        headers.Mode.Should().Be("Unlocked");
        DateTimeOffset.Parse(headers.Until!, System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(7), TimeSpan.FromMinutes(5));
    }

    private sealed class HeaderCapture : HttpPipelineSynchronousPolicy
    {
        public string? Mode { get; private set; }

        public string? Until { get; private set; }

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Headers.TryGetValue("x-ms-immutability-policy-mode", out var mode))
            {
                Mode = mode;
            }

            if (message.Request.Headers.TryGetValue("x-ms-immutability-policy-until-date", out var until))
            {
                Until = until;
            }
        }
    }
}
