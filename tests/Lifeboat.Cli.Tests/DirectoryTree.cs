using System.Text;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// A source tree for directory backup tests: nested and empty directories, symbolic links (one dangling), names with
/// spaces and unicode, modes and modification times of every kind, and a big file; and a comparison of two trees.
/// </summary>
internal static class DirectoryTree
{
    public const string BigFile = "deep/er/still/big file.bin";

    /// <summary>Makes the tree under <paramref name="root"/> with a big file of <paramref name="bigBytes"/> random bytes.</summary>
    public static void Create(string root, int bigBytes)
    {
        Directory.CreateDirectory(Path.Combine(root, "deep/er/still"));
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        Directory.CreateDirectory(Path.Combine(root, "empty too/inside"));
        Directory.CreateDirectory(Path.Combine(root, "ünïcødé dîr ✓"));
        File.WriteAllBytes(Path.Combine(root, BigFile), TestRepo.RandomBytes(bigBytes, 7));
        File.WriteAllText(Path.Combine(root, "config.yaml"), "name: app\nport: 8080\n");
        File.WriteAllText(Path.Combine(root, "ünïcødé dîr ✓/日本語 ファイル.txt"), "こんにちは\n", Encoding.UTF8);
        File.WriteAllText(Path.Combine(root, "deep/run.sh"), "#!/bin/sh\necho hi\n");
        File.WriteAllText(Path.Combine(root, "deep/secret"), "s3cret\n");
        File.WriteAllBytes(Path.Combine(root, "deep/er/empty file"), []);
        File.CreateSymbolicLink(Path.Combine(root, "link to config"), "config.yaml");
        File.CreateSymbolicLink(Path.Combine(root, "deep/dangling"), "../nowhere/at all");
        File.CreateSymbolicLink(Path.Combine(root, "deep/er/up"), "../..");
        File.SetUnixFileMode(Path.Combine(root, "deep/run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(Path.Combine(root, "deep/secret"), (UnixFileMode)Convert.ToInt32("600", 8));
        File.SetUnixFileMode(Path.Combine(root, "config.yaml"), (UnixFileMode)Convert.ToInt32("640", 8));
        File.SetUnixFileMode(Path.Combine(root, "empty"), (UnixFileMode)Convert.ToInt32("700", 8));
        File.SetUnixFileMode(Path.Combine(root, "deep/er"), (UnixFileMode)Convert.ToInt32("2750", 8));
        var time = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234567);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Reverse())
        {
            time = time.AddMinutes(17);
            if (new FileInfo(path).LinkTarget is null)
            {
                File.SetLastWriteTimeUtc(path, time);
            }
        }
    }

    /// <summary>Every entry below <paramref name="root"/>, relative, with what a restore must reproduce.</summary>
    public static SortedDictionary<string, string> Describe(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var info = new FileInfo(path);
            var relative = Path.GetRelativePath(root, path);
            if (info.LinkTarget is { } target)
            {
                entries[relative] = "link -> " + target;
            }
            else if (Directory.Exists(path))
            {
                entries[relative] = $"dir {Convert.ToString((int)File.GetUnixFileMode(path), 8)} {Directory.GetLastWriteTimeUtc(path).Ticks}";
            }
            else
            {
                entries[relative] = $"file {Convert.ToString((int)File.GetUnixFileMode(path), 8)} {File.GetLastWriteTimeUtc(path).Ticks} {info.Length} " +
                    Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
            }
        }

        return entries;
    }
}

/// <summary>A test that needs to run as a user whom file permissions bind: skipped as root, which reads everything.</summary>
internal sealed class NotRootFactAttribute : FactAttribute
{
    public NotRootFactAttribute()
    {
        if (Environment.UserName == "root")
        {
            Skip = "runs as root, which can read a file of mode 000 (the unreadable name test covers the report and exit code)";
        }
    }
}
