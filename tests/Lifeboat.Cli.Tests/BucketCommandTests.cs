using System.Text.Json;
using Amazon.S3.Model;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Cli.Tests;

/// <summary><c>backup --bucket</c>, <c>ls</c>, <c>dump</c> and <c>restore --to-bucket</c> end to end on s3rver.</summary>
public sealed class BucketCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TestRepo _repo = new();
    private S3rverEmulator? _s3;

    private S3rverEmulator S3 => _s3 ?? throw new InvalidOperationException("s3rver is not started");

    public async Task InitializeAsync()
    {
        _s3 = await S3rverEmulator.StartAsync();
        _repo.Cli.Environment["AWS_ACCESS_KEY_ID"] = S3rverEmulator.AccessKey;
        _repo.Cli.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverEmulator.SecretKey;
        _repo.Cli.Environment["AWS_REGION"] = "us-east-1";
    }

    public async Task DisposeAsync()
    {
        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task A_bucket_is_backed_up_listed_dumped_and_restored_and_a_differing_object_is_refused_with_exit_61()
    {
        await S3.CreateBucketAsync("photos");
        using var client = S3.CreateClient();
        foreach (var (key, body) in new[] { ("alice/wine 1.jpg", "jpeg bytes of alice"), ("bob/ノート.txt", "bob's note") })
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = key, ContentBody = body, ContentType = "image/jpeg", UseChunkEncoding = false });
        }

        await _repo.InitAsync();
        var url = S3.RepositoryUrl("", "photos");
        var backup = await Run("backup", "--bucket", url, "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        using var json = JsonDocument.Parse(backup.Stdout);
        var snapshot = json.RootElement.GetProperty("snapshot").GetString()!;
        json.RootElement.GetProperty("objects").GetInt32().Should().Be(2);

        var again = await Run("backup", "--bucket", url, "--json");
        using (var second = JsonDocument.Parse(again.Stdout))
        {
            second.RootElement.GetProperty("unchangedObjects").GetInt32().Should().Be(2, "nothing changed: nothing is downloaded");
        }

        var ls = await Run("ls", snapshot);
        ls.Out.Should().Contain("alice/wine 1.jpg").And.Contain("bob/ノート.txt").And.Contain("image/jpeg");
        var dump = await Run("dump", snapshot, "bob/ノート.txt");
        dump.Out.Should().Be("bob's note");

        await S3.CreateBucketAsync("elsewhere");
        var restore = await Run("restore", snapshot, "--to-bucket", S3.RepositoryUrl("", "elsewhere"), "--prefix", "alice/");
        restore.ExitCode.Should().Be(0, restore.ToString());
        using (var restored = await client.GetObjectAsync("elsewhere", "alice/wine 1.jpg"))
        {
            restored.Headers.ContentType.Should().Be("image/jpeg");
        }

        await client.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "alice/wine 1.jpg", ContentBody = "newer", UseChunkEncoding = false });
        var refused = await Run("restore", snapshot, "--to-bucket", url);
        refused.ExitCode.Should().Be(61, refused.ToString());
        refused.Stderr.Should().Contain("alice/wine 1.jpg").And.Contain("--overwrite");
        var overwritten = await Run("restore", snapshot, "--to-bucket", url, "--overwrite");
        overwritten.ExitCode.Should().Be(0, overwritten.ToString());
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_exit_60_naming_it()
    {
        await _repo.InitAsync();
        var result = await Run("backup", "--bucket", S3.RepositoryUrl("", "no-such-bucket"));
        result.ExitCode.Should().Be(60, result.ToString());
        result.Stderr.Should().Contain("no-such-bucket").And.Contain("does not exist");
        result.Stderr.Should().NotContain(S3rverEmulator.SecretKey + "@");
    }

    private Task<CliResult> Run(params string[] args) => _repo.Cli.RunAsync([args[0], "-o", "s3.checksum=when_required", .. args[1..]]);
}
