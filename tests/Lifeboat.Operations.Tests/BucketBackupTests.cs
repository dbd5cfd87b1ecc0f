using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Lifeboat.Operations.Buckets;
using Lifeboat.Operations.Tests.Support;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Buckets;
using Lifeboat.Storage.Buckets;
using Lifeboat.Storage.S3;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Operations.Tests;

/// <summary>Bucket backups and restores against a real s3rver (which answers If-Match and If-None-Match like S3).</summary>
public sealed class BucketBackupTests : IAsyncLifetime
{
    private S3rverEmulator? _s3;

    private S3rverEmulator S3 => _s3 ?? throw new InvalidOperationException("s3rver is not started");

    public async Task InitializeAsync() => _s3 = await S3rverEmulator.StartAsync();

    public async Task DisposeAsync()
    {
        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_second_backup_downloads_only_changed_objects_and_each_snapshot_restores_to_an_empty_bucket_equal_to_the_source()
    {
        await S3.CreateBucketAsync("source");
        using var client = S3.CreateClient();
        var keys = Enumerable.Range(0, 200).Select(i => $"users/u{i % 7}/file {i}.txt").Concat(["ünïcode/ファイル.bin", "with space/a b.json"]).ToList();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            await PutAsync(client, "source", key, TestRepositories.RandomBytes(100 + (i * 37 % 3000), i), i % 2 == 0 ? "text/plain" : "application/json", i % 3 == 0 ? new() { ["owner"] = $"user-{i}" } : []);
        }

        await MultipartAsync(client, "source", "big/video.mp4", TestRepositories.RandomBytes(11 * 1024 * 1024, 999));
        var repository = await TestRepositories.InitAsync(new InMemoryStorage());
        var opener = new OpenedRepository(repository, "memory");
        var source = Bucket("source");

        var first = await new BucketBackup(opener, new BackupWriterOptions()).RunAsync(new BucketBackupRequest(source), null, CancellationToken.None);
        first.Manifest.Objects.Should().HaveCount(keys.Count + 1);
        first.Manifest.DownloadedObjects.Should().Be(keys.Count + 1);
        var atFirst = await ContentsAsync(client, "source");

        await PutAsync(client, "source", keys[3], [1, 2, 3], "text/csv", new() { ["owner"] = "changed" });
        await PutAsync(client, "source", "users/new.txt", [4, 5], "text/plain", []);
        await client.DeleteObjectAsync("source", keys[10]);
        await client.DeleteObjectAsync("source", keys[11]);
        var second = await new BucketBackup(opener, new BackupWriterOptions()).RunAsync(new BucketBackupRequest(source), null, CancellationToken.None);
        second.Manifest.DownloadedObjects.Should().Be(2, "only the changed and the new object are downloaded");
        second.Manifest.UnchangedObjects.Should().Be(keys.Count + 1 - 3);
        second.Manifest.Objects.Should().HaveCount(keys.Count + 1 - 2 + 1);
        var atSecond = await ContentsAsync(client, "source");

        foreach (var (record, expected, bucket) in new[] { (first.Record, atFirst, "restored1"), (second.Record, atSecond, "restored2") })
        {
            await S3.CreateBucketAsync(bucket);
            var restored = await new BucketRestore(opener).RunAsync(new BucketRestoreRequest(record.Id.ToString(), Bucket(bucket)), CancellationToken.None);
            restored.Objects.Should().Be(expected.Count);
            var actual = await ContentsAsync(client, bucket);
            actual.Keys.Should().BeEquivalentTo(expected.Keys);
            foreach (var (key, want) in expected)
            {
                actual[key].Should().Be(want, $"object '{key}' is restored with its bytes, content type and metadata");
            }
        }
    }

    [Fact]
    public async Task A_restore_refuses_to_replace_a_differing_object_without_overwrite_and_writes_nothing()
    {
        await S3.CreateBucketAsync("src2");
        using var client = S3.CreateClient();
        await PutAsync(client, "src2", "a/one.txt", [1], "text/plain", []);
        await PutAsync(client, "src2", "a/two.txt", [2], "text/plain", []);
        await PutAsync(client, "src2", "b/three.txt", [3], "text/plain", []);
        var repository = await TestRepositories.InitAsync(new InMemoryStorage());
        var opener = new OpenedRepository(repository, "memory");
        var backup = await new BucketBackup(opener, new BackupWriterOptions()).RunAsync(new BucketBackupRequest(Bucket("src2")), null, CancellationToken.None);
        await PutAsync(client, "src2", "a/one.txt", [9, 9], "text/plain", []);
        await client.DeleteObjectAsync("src2", "a/two.txt");

        var refused = () => new BucketRestore(opener).RunAsync(new BucketRestoreRequest(backup.Record.Id.ToString(), Bucket("src2")) { Prefix = "a/" }, CancellationToken.None);
        (await refused.Should().ThrowAsync<BucketObjectsDifferException>()).Which.Keys.Should().Equal("a/one.txt");
        (await ContentsAsync(client, "src2")).Keys.Should().BeEquivalentTo(["a/one.txt", "b/three.txt"], "nothing is written when the restore refuses");

        var overwritten = await new BucketRestore(opener).RunAsync(
            new BucketRestoreRequest(backup.Record.Id.ToString(), Bucket("src2")) { Prefix = "a/", Overwrite = true }, CancellationToken.None);
        overwritten.Objects.Should().Be(2);
        var one = await new BucketRestore(opener).RunAsync(new BucketRestoreRequest(backup.Record.Id.ToString(), Bucket("src2")) { Key = "b/three.txt" }, CancellationToken.None);
        one.AlreadyThere.Should().Be(1, "an object with the same bytes is left alone");
        (await ContentsAsync(client, "src2"))["a/one.txt"].Should().StartWith(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1 })));
    }

    [Fact]
    public async Task An_object_changed_after_the_listing_is_stored_in_its_new_version_and_one_deleted_is_recorded_as_vanished()
    {
        await S3.CreateBucketAsync("racy");
        using var client = S3.CreateClient();
        await PutAsync(client, "racy", "changes.txt", [1, 1, 1], "text/plain", []);
        await PutAsync(client, "racy", "goes.txt", [2], "text/plain", []);
        var repository = await TestRepositories.InitAsync(new InMemoryStorage());
        var racy = new RacingBucket(Bucket("racy"), async ct =>
        {
            await PutAsync(client, "racy", "changes.txt", [7, 7, 7, 7], "text/plain", []);
            await client.DeleteObjectAsync("racy", "goes.txt", ct);
        });

        var result = await new BucketBackup(new OpenedRepository(repository, "memory"), new BackupWriterOptions())
            .RunAsync(new BucketBackupRequest(racy) { DownloadConcurrency = 1 }, null, CancellationToken.None);

        result.Manifest.Vanished.Should().Equal("goes.txt");
        result.Manifest.ChangedWhileRead.Should().BeGreaterThan(0);
        result.Manifest.Objects.Should().ContainSingle().Which.Size.Should().Be(4);
        (await TestRepositories.DumpAsync(repository, result.Record, "changes.txt")).Should().Equal(7, 7, 7, 7);
    }

    private Lifeboat.Storage.S3.S3Bucket Bucket(string name) => new(S3RepositoryUrl.Parse(S3.RepositoryUrl("", name)) with
    {
        Credentials = new BasicAWSCredentials(S3rverEmulator.AccessKey, S3rverEmulator.SecretKey),
        ChecksumMode = S3ChecksumMode.WhenRequired,
        UseChunkEncoding = false,
    });

    private static async Task PutAsync(AmazonS3Client client, string bucket, string key, byte[] content, string contentType, Dictionary<string, string> metadata)
    {
        var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content), ContentType = contentType, UseChunkEncoding = false };
        foreach (var (name, value) in metadata)
        {
            request.Metadata.Add(name, value);
        }

        await client.PutObjectAsync(request);
    }

    private static async Task MultipartAsync(AmazonS3Client client, string bucket, string key, byte[] content)
    {
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ContentType = "video/mp4" });
        var parts = new List<PartETag>();
        const int partSize = 5 * 1024 * 1024;
        for (var (offset, number) = (0, 1); offset < content.Length; offset += partSize, number++)
        {
            var length = Math.Min(partSize, content.Length - offset);
            var part = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = number, InputStream = new MemoryStream(content, offset, length), UseChunkEncoding = false,
            });
            parts.Add(new PartETag(number, part.ETag));
        }

        await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts });
    }

    /// <summary>Each object as "SHA-256 | content type | metadata", by key.</summary>
    private static async Task<Dictionary<string, string>> ContentsAsync(AmazonS3Client client, string bucket)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        foreach (var item in listing.S3Objects ?? [])
        {
            using var response = await client.GetObjectAsync(bucket, item.Key);
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(response.ResponseStream));
            var metadata = string.Join(",", response.Metadata.Keys.Order(StringComparer.Ordinal).Select(k => $"{k}={response.Metadata[k]}"));
            result[item.Key] = $"{hash} | {response.Headers.ContentType} | {metadata}";
        }

        return result;
    }

    /// <summary>A real bucket whose objects are changed (by <paramref name="race"/>) after the listing, before the first download.</summary>
    private sealed class RacingBucket(IObjectBucket inner, Func<CancellationToken, Task> race) : IObjectBucket
    {
        private int _raced;

        public string Location => inner.Location;

        public IAsyncEnumerable<BucketObject> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public async Task<BucketObjectBody?> GetAsync(string key, string? ifMatch, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _raced, 1) == 0)
            {
                await race(cancellationToken);
            }

            return await inner.GetAsync(key, ifMatch, cancellationToken);
        }

        public Task<BucketObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) => inner.HeadAsync(key, cancellationToken);

        public Task PutAsync(BucketPut put, Stream content, CancellationToken cancellationToken) => inner.PutAsync(put, content, cancellationToken);
    }
}
