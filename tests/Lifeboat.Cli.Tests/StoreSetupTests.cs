using System.Text;
using Amazon.S3.Model;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Cli.Tests;

/// <summary>A plain s3rver (its own behaviour: aws-chunked bodies kept verbatim, If-None-Match ignored) and an empty azurite account.</summary>
public sealed class PlainStoresFixture : IAsyncLifetime
{
    private S3rverEmulator? _s3;
    private AzuriteEmulator? _azure;

    public S3rverEmulator S3 => _s3 ?? throw new InvalidOperationException("s3rver is not started");

    public AzuriteEmulator Azure => _azure ?? throw new InvalidOperationException("azurite is not started");

    public async Task InitializeAsync()
    {
        var s3 = S3rverEmulator.StartAsync(conditionalWrites: false);
        var azure = AzuriteEmulator.StartAsync();
        _s3 = await s3;
        _azure = await azure;
    }

    public async Task DisposeAsync()
    {
        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }

        if (_azure is not null)
        {
            await _azure.DisposeAsync();
        }
    }
}

/// <summary>
/// <c>init</c> on stores as they come: plain s3rver without any <c>-o</c> option (the probe finds the settings),
/// buckets and containers that do not exist yet.
/// </summary>
public sealed class StoreSetupTests : IClassFixture<PlainStoresFixture>, IDisposable
{
    private readonly PlainStoresFixture _stores;
    private readonly TestRepo _repo = new();

    public StoreSetupTests(PlainStoresFixture stores)
    {
        _stores = stores;
        _repo.Cli.Environment["AWS_ACCESS_KEY_ID"] = S3rverEmulator.AccessKey;
        _repo.Cli.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverEmulator.SecretKey;
        _repo.Cli.Environment["AWS_REGION"] = "us-east-1";
        _repo.Cli.Environment["AZURE_STORAGE_CONNECTION_STRING"] = stores.Azure.ConnectionString;
    }

    [Fact]
    public async Task Init_on_plain_s3rver_without_options_remembers_the_settings_it_needs_and_backup_dump_and_check_read_data_work()
    {
        var prefix = NewName("repo");
        var location = _stores.S3.RepositoryUrl(prefix);
        var data = TestRepo.RandomBytes(3_000_000, 17);

        var init = await _repo.Cli.RunAsync("-r", location, "init", "--kdf-memory", "8");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Stderr.Should().Contain("s3.checksum=when_required").And.Contain("s3.no-overwrite=head-then-put")
            .And.Contain("two machines writing to it at the same time are not protected");
        var config = Encoding.UTF8.GetString(await ReadObjectAsync(prefix + "/config"));
        config.Should().Contain("\"storage\":{\"s3.checksum\":\"when_required\",\"s3.no-overwrite\":\"head-then-put\"}");
        (await KeysAsync(prefix + "/")).Should().NotContain(k => k.Contains("/probe/"), "the probe object is removed");

        var backup = await _repo.Cli.RunAsync(data, "-r", location, "backup", "--stdin", "--name", "data.bin");
        var dump = await _repo.Cli.RunAsync("-r", location, "dump", "latest", "data.bin");
        var check = await _repo.Cli.RunAsync("-r", location, "check", "--read-data");

        backup.ExitCode.Should().Be(0, backup.ToString());
        dump.ExitCode.Should().Be(0, dump.ToString());
        dump.Stdout.Should().Equal(data);
        check.ExitCode.Should().Be(0, check.ToString());
    }

    [Fact]
    public async Task Init_given_the_store_settings_remembers_them_so_later_commands_without_them_do_not_write_altered_objects()
    {
        var prefix = NewName("repo");
        var location = _stores.S3.RepositoryUrl(prefix);

        var init = await _repo.Cli.RunAsync("-r", location, "-o", "s3.checksum=when_required", "-o", "s3.no-overwrite=head-then-put", "init", "--kdf-memory", "8");
        var backup = await _repo.Cli.RunAsync(TestRepo.RandomBytes(200_000, 8), "-r", location, "backup", "--stdin", "--name", "a");
        var check = await _repo.Cli.RunAsync("-r", location, "check", "--read-data");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Stderr.Should().NotContain("the store altered", "nothing was switched: the settings were given");
        Encoding.UTF8.GetString(await ReadObjectAsync(prefix + "/config"))
            .Should().Contain("\"storage\":{\"s3.checksum\":\"when_required\",\"s3.no-overwrite\":\"head-then-put\"}");
        backup.ExitCode.Should().Be(0, backup.ToString());
        check.ExitCode.Should().Be(0, check.ToString());
    }

    [Fact]
    public async Task Init_on_plain_s3rver_with_the_default_checksums_forced_fails_as_an_integrity_error_naming_the_setting_and_leaves_nothing()
    {
        var prefix = NewName("repo");

        var init = await _repo.Cli.RunAsync("-r", _stores.S3.RepositoryUrl(prefix), "-o", "s3.checksum=when_supported", "init", "--kdf-memory", "8");

        init.ExitCode.Should().Be(3, init.ToString());
        init.Stderr.Should().Contain("returned other bytes").And.Contain("-o s3.checksum=when_required").And.NotContain("kept appending");
        (await KeysAsync(prefix + "/")).Should().BeEmpty("nothing was created");
    }

    [Fact]
    public async Task Init_creates_a_missing_s3_bucket()
    {
        var bucket = NewName("bucket");

        var init = await _repo.Cli.RunAsync("-r", _stores.S3.RepositoryUrl("repo", bucket), "init", "--kdf-memory", "8");
        var backup = await _repo.Cli.RunAsync(TestRepo.RandomBytes(10_000, 3), "-r", _stores.S3.RepositoryUrl("repo", bucket), "backup", "--stdin", "--name", "a");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Stderr.Should().Contain("created bucket");
        backup.ExitCode.Should().Be(0, backup.ToString());
    }

    [Fact]
    public async Task Init_with_object_lock_creates_the_missing_bucket_with_object_lock_enabled()
    {
        var bucket = NewName("locked");
        var location = _stores.S3.RepositoryUrl("repo", bucket);

        var init = await _repo.Cli.RunAsync("-r", location, "-o", "s3.object-lock=governance:1", "init", "--kdf-memory", "8");
        var backup = await _repo.Cli.RunAsync(TestRepo.RandomBytes(10_000, 6), "-r", location, "-o", "s3.object-lock=governance:1", "backup", "--stdin", "--name", "a");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Stderr.Should().Contain("created bucket");
        backup.ExitCode.Should().Be(0, backup.ToString());
        using var client = _stores.S3.CreateClient();
        var locked = await client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = bucket });
        locked.ObjectLockConfiguration.ObjectLockEnabled.Value.Should().Be("Enabled");
        await client.Invoking(c => c.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = S3rverEmulator.DefaultBucket }))
            .Should().ThrowAsync<Amazon.S3.AmazonS3Exception>("a bucket created without the header has no Object Lock");
    }

    [Fact]
    public async Task Init_with_credentials_that_may_not_create_buckets_names_s3_CreateBucket_and_creates_nothing()
    {
        await using var denying = await S3rverEmulator.StartAsync(conditionalWrites: false, denyBucketCreation: true);

        var init = await _repo.Cli.RunAsync("-r", denying.RepositoryUrl("repo", NewName("bucket")), "init", "--kdf-memory", "8");

        init.ExitCode.Should().Be(4, init.ToString());
        init.Stderr.Should().Contain("does not exist and these credentials may not create it").And.Contain("s3:CreateBucket");
        using var client = denying.CreateClient();
        (await client.ListBucketsAsync()).Buckets.Select(b => b.BucketName).Should().Equal(S3rverEmulator.DefaultBucket);
    }

    [Fact]
    public async Task Init_with_credentials_that_may_list_only_under_the_repository_prefix_works_in_an_existing_bucket()
    {
        await using var scoped = await S3rverEmulator.StartAsync(conditionalWrites: false, listOnlyUnderPrefix: true);
        var location = scoped.RepositoryUrl(NewName("repo"));

        var init = await _repo.Cli.RunAsync("-r", location, "init", "--kdf-memory", "8");
        var backup = await _repo.Cli.RunAsync(TestRepo.RandomBytes(10_000, 5), "-r", location, "backup", "--stdin", "--name", "a");
        var check = await _repo.Cli.RunAsync("-r", location, "check", "--read-data");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Stderr.Should().NotContain("created bucket");
        backup.ExitCode.Should().Be(0, backup.ToString());
        check.ExitCode.Should().Be(0, check.ToString());
    }

    [Fact]
    public async Task Init_creates_a_missing_azure_container_in_an_empty_account_and_the_repository_works()
    {
        var container = NewName("container");
        var location = $"azure:{container}/repo";

        var init = await _repo.Cli.RunAsync("-r", location, "init", "--kdf-memory", "8");
        var backup = await _repo.Cli.RunAsync(TestRepo.RandomBytes(10_000, 4), "-r", location, "backup", "--stdin", "--name", "a");
        var check = await _repo.Cli.RunAsync("-r", location, "check", "--read-data");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Stderr.Should().Contain("created container").And.NotContain("s3.");
        backup.ExitCode.Should().Be(0, backup.ToString());
        check.ExitCode.Should().Be(0, check.ToString());
    }

    [Fact]
    public async Task Init_with_credentials_that_may_not_create_containers_names_the_missing_permission()
    {
        var sas = new AccountSasBuilder(AccountSasPermissions.Read | AccountSasPermissions.List,
            DateTimeOffset.UtcNow.AddHours(1), AccountSasServices.Blobs, AccountSasResourceTypes.Container | AccountSasResourceTypes.Object)
            .ToSasQueryParameters(new StorageSharedKeyCredential(AzuriteEmulator.AccountName, AzuriteEmulator.AccountKey)).ToString();
        _repo.Cli.Environment["AZURE_STORAGE_CONNECTION_STRING"] = $"BlobEndpoint={_stores.Azure.BlobEndpoint};SharedAccessSignature={sas}";
        var container = NewName("container");

        var init = await _repo.Cli.RunAsync("-r", $"azure:{container}/repo", "init", "--kdf-memory", "8");

        init.ExitCode.Should().Be(4, init.ToString());
        init.Stderr.Should().Contain("may not create it").And.Contain("Storage Blob Data Contributor").And.NotContain(sas);
        var exists = await new BlobContainerClient(_stores.Azure.ConnectionString, container).ExistsAsync();
        exists.Value.Should().BeFalse();
    }

    private static string NewName(string kind) => kind + "-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<byte[]> ReadObjectAsync(string key)
    {
        using var client = _stores.S3.CreateClient();
        using var response = await client.GetObjectAsync(S3rverEmulator.DefaultBucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<List<string>> KeysAsync(string prefix)
    {
        using var client = _stores.S3.CreateClient();
        var response = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverEmulator.DefaultBucket, Prefix = prefix });
        return [.. (response.S3Objects ?? []).Select(o => o.Key)];
    }

    public void Dispose() => _repo.Dispose();
}
