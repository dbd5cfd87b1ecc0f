namespace Lifeboat.Cli.Tests;

/// <summary>A fresh repository directory with a runner set up to use it.</summary>
public sealed class TestRepo : IDisposable
{
    public const string Password = "test password 1";

    public TestRepo()
    {
        Root = Path.Combine(Path.GetTempPath(), "lifeboat-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Path_ = System.IO.Path.Combine(Root, "repo");
        Cli.Environment["LIFEBOAT_REPO"] = Path_;
        Cli.Environment["LIFEBOAT_PASSWORD"] = Password;
    }

    public string Root { get; }

    public string Path_ { get; }

    public CliRunner Cli { get; } = new();

    public async Task InitAsync()
    {
        var result = await Cli.RunAsync("init", "--kdf-memory", "8");
        result.ExitCode.Should().Be(0, result.ToString());
    }

    public async Task<string> BackupAsync(byte[] data, string name = "data.bin", params string[] extra)
    {
        var result = await Cli.RunAsync(data, ["backup", "--stdin", "--name", name, "--json", .. extra]);
        result.ExitCode.Should().Be(0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(result.Stdout);
        return json.RootElement.GetProperty("snapshot").GetString()!;
    }

    public async Task<byte[]> DumpAsync(string snapshot, string name = "data.bin")
    {
        var result = await Cli.RunAsync("dump", snapshot, name);
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Stdout;
    }

    public IEnumerable<string> Files(string prefix) =>
        Directory.Exists(System.IO.Path.Combine(Path_, prefix))
            ? Directory.EnumerateFiles(System.IO.Path.Combine(Path_, prefix), "*", SearchOption.AllDirectories).Where(f => !System.IO.Path.GetFileName(f).StartsWith('.'))
            : [];

    /// <summary>The file of a repository object, e.g. <c>snapshots/&lt;id&gt;</c>.</summary>
    public string ObjectPath(string name) => System.IO.Path.Combine(Path_, name);

    /// <summary>Damages a stored object the way bit rot or an edit would: one bit flipped, in place.</summary>
    public static void FlipByte(string path, double offsetFraction = 0.5)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = (int)(bytes.Length * offsetFraction);
        bytes[offset] ^= 0x01;
        File.SetAttributes(path, FileAttributes.Normal);
        File.WriteAllBytes(path, bytes);
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Text that compresses like a database dump (numbers, words, padding).</summary>
    public static byte[] DumpLikeBytes(int length, int seed)
    {
        var random = new Random(seed);
        var builder = new System.Text.StringBuilder(length + 200);
        while (builder.Length < length)
        {
            builder.Append(random.Next(1, 10_000_000)).Append('\t').Append(random.Next(1, 100)).Append('\t')
                .Append(random.Next(-5000, 5000)).Append("\tuser").Append(random.Next(100000)).Append("@example.com\t")
                .Append(new string(' ', random.Next(0, 40))).Append('\n');
        }

        return System.Text.Encoding.ASCII.GetBytes(builder.ToString(0, length));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
