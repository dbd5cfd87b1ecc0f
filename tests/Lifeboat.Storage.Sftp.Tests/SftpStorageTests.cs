using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Lifeboat.Storage.Sftp.Tests;

[Collection(SshdCollection.Name)]
public sealed class SftpStorageTests(SshdFixture fixture)
{
    [Fact]
    public async Task An_unknown_host_key_is_refused_with_its_fingerprint_and_how_to_trust_it()
    {
        var emptyKnownHosts = Path.Combine(fixture.Server.Directory, $"empty-{Guid.NewGuid():N}");
        await using var storage = new SftpStorage(fixture.Options() with { KnownHostsFile = emptyKnownHosts });

        var error = (await FluentActions.Awaiting(() => storage.StatAsync("config", default)).Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("unknown").And.Contain(HostFingerprint()).And.Contain("ssh-keyscan").And.Contain("known_hosts");
    }

    [Fact]
    public async Task A_changed_host_key_is_refused()
    {
        var knownHosts = Path.Combine(fixture.Server.Directory, $"changed-{Guid.NewGuid():N}");
        var otherKey = File.ReadAllText(fixture.Server.OtherClientKeyPath + ".pub").Split(' ')[1];
        await File.WriteAllTextAsync(knownHosts, $"[127.0.0.1]:{fixture.Server.Port} ssh-ed25519 {otherKey}\n");
        await using var storage = new SftpStorage(fixture.Options() with { KnownHostsFile = knownHosts, AcceptUnknownHostKey = true });

        var error = (await FluentActions.Awaiting(() => storage.StatAsync("config", default)).Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("CHANGED").And.Contain("ssh-keygen -R");
    }

    [Fact]
    public async Task A_configured_fingerprint_is_trusted_without_known_hosts_and_a_wrong_one_is_refused()
    {
        var none = Path.Combine(fixture.Server.Directory, $"none-{Guid.NewGuid():N}");
        await using var right = new SftpStorage(fixture.Options() with { KnownHostsFile = none, HostKeyFingerprint = HostFingerprint() });
        await using var wrong = new SftpStorage(fixture.Options() with { KnownHostsFile = none, HostKeyFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });

        await right.WriteAsync("config", new byte[] { 1 }, default);

        var error = (await FluentActions.Awaiting(() => wrong.StatAsync("config", default)).Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("not the configured fingerprint");
    }

    [Fact]
    public async Task A_hashed_known_hosts_entry_is_recognised()
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        var hash = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes($"[127.0.0.1]:{fixture.Server.Port}"));
        var knownHosts = Path.Combine(fixture.Server.Directory, $"hashed-{Guid.NewGuid():N}");
        var hostKey = string.Join(' ', fixture.Server.HostPublicKey.Split(' ').Take(2));
        await File.WriteAllTextAsync(knownHosts, $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(hash)} {hostKey}\n");
        await using var storage = new SftpStorage(fixture.Options() with { KnownHostsFile = knownHosts });

        (await storage.StatAsync("config", default)).Should().BeNull();
    }

    [Fact]
    public async Task A_key_the_server_does_not_accept_is_a_permanent_authentication_error()
    {
        await using var storage = new SftpStorage(fixture.Options() with { PrivateKeyFile = fixture.Server.OtherClientKeyPath });

        var error = (await FluentActions.Awaiting(() => storage.WriteAsync("config", new byte[] { 1 }, default)).Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("authentication").And.Contain(fixture.Server.UserName).And.Contain("authorized_keys");
        error.Message.Should().NotContain("PRIVATE KEY");
    }

    [Fact]
    public async Task An_encrypted_key_needs_its_passphrase_which_never_appears_in_messages()
    {
        const string passphrase = "correct horse battery staple";
        var keyPath = Path.Combine(fixture.Server.Directory, $"encrypted-{Guid.NewGuid():N}");
        File.Copy(fixture.Server.ClientKeyPath, keyPath);
        await RunAsync("ssh-keygen", "-q", "-p", "-P", "", "-N", passphrase, "-f", keyPath);
        await using var withPassphrase = new SftpStorage(fixture.Options() with { PrivateKeyFile = keyPath, Passphrase = passphrase });
        await using var wrongPassphrase = new SftpStorage(fixture.Options() with { PrivateKeyFile = keyPath, Passphrase = "wrong " + passphrase });
        await using var withoutPassphrase = new SftpStorage(fixture.Options() with { PrivateKeyFile = keyPath });

        await withPassphrase.WriteAsync("config", new byte[] { 1 }, default);

        var wrong = (await FluentActions.Awaiting(() => wrongPassphrase.StatAsync("config", default)).Should().ThrowAsync<StorageException>()).Which;
        wrong.Kind.Should().Be(StorageErrorKind.Permanent);
        wrong.Message.Should().Contain(keyPath).And.NotContain(passphrase);
        var missing = (await FluentActions.Awaiting(() => withoutPassphrase.StatAsync("config", default)).Should().ThrowAsync<StorageException>()).Which;
        missing.Kind.Should().Be(StorageErrorKind.Permanent);
        missing.Message.Should().Contain(SftpStorageOptions.PassphraseVariable);
    }

    [Fact]
    public async Task A_missing_key_file_is_a_permanent_error_naming_it()
    {
        await using var storage = new SftpStorage(fixture.Options() with { PrivateKeyFile = "/nonexistent/id_ed25519" });

        var error = (await FluentActions.Awaiting(() => storage.StatAsync("config", default)).Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("/nonexistent/id_ed25519");
    }

    [Fact]
    public async Task Objects_are_plain_files_and_no_temporary_file_remains()
    {
        var options = fixture.Options();
        await using var storage = new SftpStorage(options);
        await storage.WriteAsync("data/ab/ab12", new byte[] { 1, 2, 3 }, default);
        await storage.WriteAsync("config", new byte[] { 4 }, default);
        await FluentActions.Awaiting(() => storage.WriteAsync("config", new byte[] { 5 }, default)).Should().ThrowAsync<StorageException>();

        File.ReadAllBytes(Path.Combine(options.Path, "data", "ab", "ab12")).Should().Equal(1, 2, 3);
        Directory.GetFiles(options.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(options.Path, f))
            .Should().BeEquivalentTo(["config", Path.Combine("data", "ab", "ab12")]);
    }

    [Fact]
    public async Task A_leftover_temporary_file_is_not_listed_and_its_prefix_is_not_a_valid_name()
    {
        var options = fixture.Options();
        await using var storage = new SftpStorage(options);
        await storage.WriteAsync("data/ab/ab12", new byte[] { 1 }, default);
        await File.WriteAllBytesAsync(Path.Combine(options.Path, "data", "ab", SftpStorage.TemporaryFilePrefix + "crashed"), [9]);

        (await storage.ListAsync("", default).ToListAsync()).Should().Equal(new ObjectInfo("data/ab/ab12", 1));
        await FluentActions.Awaiting(() => storage.WriteAsync($"data/{SftpStorage.TemporaryFilePrefix}x", new byte[] { 1 }, default))
            .Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task Concurrent_operations_share_a_bounded_pool_of_sessions()
    {
        await using var storage = new SftpStorage(fixture.Options() with { MaxSessions = 2 });

        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, token) =>
        {
            await storage.WriteAsync($"index/{i:d3}", new byte[] { (byte)i }, token);
            (await storage.ReadAsync($"index/{i:d3}", 0, null, token)).Should().Equal((byte)i);
        });

        (await storage.ListAsync("index/", default).ToListAsync()).Should().HaveCount(40);
    }

    [Fact]
    public async Task Writing_where_a_file_blocks_the_directory_is_a_permanent_error()
    {
        await using var storage = new SftpStorage(fixture.Options());
        await storage.WriteAsync("config", new byte[] { 1 }, default);

        var error = (await FluentActions.Awaiting(() => storage.WriteAsync("config/nested", new byte[] { 1 }, default)).Should().ThrowAsync<StorageException>()).Which;

        error.Kind.Should().Be(StorageErrorKind.Permanent);
    }

    private string HostFingerprint() =>
        KnownHosts.Fingerprint(Convert.FromBase64String(fixture.Server.HostPublicKey.Split(' ')[1]));

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await process.StandardError.ReadToEndAsync());
    }
}
