using System.Net;
using System.Net.Sockets;

namespace Lifeboat.Testing.Emulators;

/// <summary>Free ports, temporary directories and the location of the pinned emulators.</summary>
public static class TestEnvironment
{
    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). Another process could
    /// take it before the server binds it; the emulator classes retry with a new port when that happens.
    /// </summary>
    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Creates a new empty directory under the system's temp directory.</summary>
    public static string CreateTempDirectory(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lifeboat-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Removes a temp directory, ignoring failures (a server may still be closing files).</summary>
    public static void DeleteDirectoryQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The checkout's root (the folder of Lifeboat.slnx), found upwards from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Lifeboat.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"no Lifeboat.slnx above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>
    /// The <c>tests/emulators</c> folder with its installed <c>node_modules</c>
    /// (LIFEBOAT_EMULATORS_DIR overrides the search upwards from the test assembly).
    /// </summary>
    public static string EmulatorsDirectory()
    {
        if (Environment.GetEnvironmentVariable("LIFEBOAT_EMULATORS_DIR") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "emulators");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "tests/emulators not found above " + AppContext.BaseDirectory + "; set LIFEBOAT_EMULATORS_DIR");
    }

    /// <summary>The path of an installed npm binary (<c>node_modules/.bin/NAME</c>), or a message saying how to install it.</summary>
    public static string NpmBinary(string name)
    {
        var directory = EmulatorsDirectory();
        var path = Path.Combine(directory, "node_modules", ".bin", name);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{name} is not installed: run {Path.Combine(directory, "install")} (npm ci of the pinned emulators)");
    }

    /// <summary>Starts a server on a free port, retrying with another port when the chosen one was taken meanwhile.</summary>
    public static async Task<(ChildProcess Process, int Port)> StartOnFreePortAsync(
        Func<int, ChildProcess> start, TimeSpan readyTimeout, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = GetFreePort();
            var process = start(port);
            try
            {
                await process.WaitForPortAsync(port, readyTimeout, cancellationToken);
                return (process, port);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }
}
