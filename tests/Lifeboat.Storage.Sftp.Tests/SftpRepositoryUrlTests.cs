namespace Lifeboat.Storage.Sftp.Tests;

public sealed class SftpRepositoryUrlTests
{
    [Theory]
    [InlineData("sftp:backup@host.example:2222/srv/lifeboat", "backup", "host.example", 2222, "/srv/lifeboat")]
    [InlineData("sftp:backup@host.example:/srv/lifeboat/", "backup", "host.example", 22, "/srv/lifeboat")]
    [InlineData("sftp:backup@host.example:repos/db1", "backup", "host.example", 22, "repos/db1")]
    [InlineData("sftp://backup@10.0.0.5:2022/data", "backup", "10.0.0.5", 2022, "/data")]
    [InlineData("sftp:backup@[::1]:2222/data", "backup", "::1", 2222, "/data")]
    [InlineData("sftp:backup@host:2222/~/rel", "backup", "host", 2222, "rel")]
    public void A_url_names_user_host_port_and_path(string url, string user, string host, int port, string path)
    {
        var options = SftpRepositoryUrl.Parse(url);

        options.User.Should().Be(user);
        options.Host.Should().Be(host);
        options.Port.Should().Be(port);
        options.Path.Should().Be(path);
        SftpRepositoryUrl.Parse(SftpRepositoryUrl.Format(options)).Should().Be(options, "the formatted location parses back");
    }

    [Theory]
    [InlineData("sftp:host:/path", "expected")]
    [InlineData("sftp:user:secret@host:22/path", "passwords are not accepted")]
    [InlineData("sftp:user@host:99999/path", "not a valid port")]
    [InlineData("sftp:user@host:", "names no path")]
    [InlineData("sftp:user@host:/a/../b", "segment")]
    [InlineData("s3://bucket", "starts with 'sftp:'")]
    public void Invalid_urls_are_refused_with_a_reason(string url, string reason)
    {
        SftpRepositoryUrl.TryParse(url, out var options, out var error).Should().BeFalse();

        options.Should().BeNull();
        error.Should().Contain(reason).And.NotContain("secret");
    }
}
