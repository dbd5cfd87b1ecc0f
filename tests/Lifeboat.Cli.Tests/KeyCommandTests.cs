using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class KeyCommandTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task A_second_password_opens_the_same_data_and_the_first_can_then_be_removed()
    {
        await _repo.InitAsync();
        var data = TestRepo.RandomBytes(100_000, 3);
        await _repo.BackupAsync(data);
        _repo.Cli.Environment["LIFEBOAT_NEW_PASSWORD"] = "second password";
        (await _repo.Cli.RunAsync("key", "add", "--kdf-memory", "8", "--label", "vault")).ExitCode.Should().Be(0);

        var keys = await ListKeysAsync();
        keys.Should().HaveCount(2);
        var first = keys.Single(k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString()!;

        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = "second password";
        (await _repo.DumpAsync("latest")).Should().Equal(data);
        var removed = await _repo.Cli.RunAsync("key", "remove", first[..8]);
        removed.ExitCode.Should().Be(0, removed.ToString());

        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = TestRepo.Password;
        (await _repo.Cli.RunAsync("snapshots")).ExitCode.Should().Be(12, "the removed password no longer opens the repository");
    }

    [Fact]
    public async Task The_key_in_use_and_the_last_key_cannot_be_removed()
    {
        await _repo.InitAsync();
        var only = (await ListKeysAsync()).Single().GetProperty("id").GetString()!;

        var result = await _repo.Cli.RunAsync("key", "remove", only);

        result.ExitCode.Should().Be(2);
        (await ListKeysAsync()).Should().HaveCount(1);
    }

    [Fact]
    public async Task Passwd_replaces_the_password()
    {
        await _repo.InitAsync();
        _repo.Cli.Environment["LIFEBOAT_NEW_PASSWORD"] = "new password";

        (await _repo.Cli.RunAsync("key", "passwd", "--kdf-memory", "8")).ExitCode.Should().Be(0);

        (await _repo.Cli.RunAsync("snapshots")).ExitCode.Should().Be(12);
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = "new password";
        (await _repo.Cli.RunAsync("snapshots")).ExitCode.Should().Be(0);
    }

    private async Task<List<JsonElement>> ListKeysAsync()
    {
        var result = await _repo.Cli.RunAsync("key", "list", "--json");
        result.ExitCode.Should().Be(0, result.ToString());
        return [.. JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray()];
    }

    public void Dispose() => _repo.Dispose();
}
