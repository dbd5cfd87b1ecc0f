using System.Diagnostics;

namespace Lifeboat.Testing;

/// <summary>
/// For tests: a small tmpfs mounted on a new temporary directory, to fill a file system for real.
/// Mounting needs root (mount(8)); where that is not possible the tests using <see cref="TmpfsFactAttribute"/>
/// are skipped with the reason, except in CI (the CI environment variable set), where they run and fail.
/// Compiled into the test projects that need it (linked, not referenced).
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private static readonly Lazy<string?> WhyNot = new(Probe);

    private SmallTmpfs(string path) => Path = path;

    /// <summary>The mounted directory.</summary>
    public string Path { get; }

    /// <summary>Why a tmpfs cannot be mounted here, or null when it can.</summary>
    public static string? WhyUnavailable => WhyNot.Value;

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. <c>8m</c>); throws with mount's own error when that fails.</summary>
    public static SmallTmpfs Mount(string size)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lifeboat-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"cannot mount a {size} tmpfs on {path} (needs root): {error}");
        }

        return new SmallTmpfs(path);
    }

    public void Dispose()
    {
        // lazily: a file a child process still holds open must not leave the mount behind
        _ = Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path);
        }
        catch (IOException)
        {
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "a tmpfs is mounted only on Linux";
        }

        if (Environment.UserName != "root" && !File.ReadAllText("/proc/self/status").Contains("\nUid:\t0\t", StringComparison.Ordinal))
        {
            return "mounting a tmpfs needs root (run the tests as root, or in CI)";
        }

        try
        {
            using var probe = Mount("1m");
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return e.Message;
        }
    }

    private static (int Code, string Error) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }
}

/// <summary>A fact that needs <see cref="SmallTmpfs"/>: skipped (with the reason) where none can be mounted, but never in CI.</summary>
internal sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (SmallTmpfs.WhyUnavailable is { } why && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = why + "; in CI (CI set) this test runs and fails instead";
        }
    }
}
