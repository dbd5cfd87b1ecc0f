using System.Diagnostics;
using System.Text;

namespace Lifeboat.Cli.Tests;

/// <summary>The result of one CLI run.</summary>
public sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr, long PeakRssBytes)
{
    public string Out => Encoding.UTF8.GetString(Stdout);

    public override string ToString() => $"exit {ExitCode}\nstderr: {Stderr}\nstdout: {(Stdout.Length < 4000 ? Out : Stdout.Length + " bytes")}";
}

/// <summary>
/// Runs the real lifeboat binary as a separate process, as a user would: the program named by
/// <c>LIFEBOAT_CLI</c> (./test sets it to the one ./lifeboat built, natively compiled where it could
/// be), else the build's lifeboat.dll under dotnet.
/// </summary>
public sealed class CliRunner
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "lifeboat.dll");

    /// <summary>The executable that <see cref="Start"/> runs instead of <c>dotnet lifeboat.dll</c>; null for that.</summary>
    public static readonly string? Executable = System.Environment.GetEnvironmentVariable("LIFEBOAT_CLI") is { Length: > 0 } path
        ? File.Exists(path) ? path : throw new FileNotFoundException($"LIFEBOAT_CLI names {path}, which does not exist")
        : null;

    public Dictionary<string, string?> Environment { get; } = new()
    {
        ["LIFEBOAT_REPO"] = null,
        ["LIFEBOAT_PASSWORD"] = null,
        ["LIFEBOAT_NEW_PASSWORD"] = null,
    };

    public Process Start(params string[] args) => Start(interruptible: false, args);

    /// <summary>
    /// Starts the program; with <paramref name="interruptible"/>, through perl, which resets SIGINT to its
    /// default before it execs the program (same process id). A process started from a background job of a
    /// non-interactive shell (<c>./test &amp;</c>) inherits SIGINT ignored, as POSIX says, and .NET keeps an
    /// ignored SIGINT ignored: a test that sends Ctrl-C would then see the program carry on.
    /// </summary>
    public Process Start(bool interruptible, params string[] args)
    {
        var info = new ProcessStartInfo(interruptible ? "perl" : Executable ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (interruptible)
        {
            info.ArgumentList.Add("-e");
            info.ArgumentList.Add("$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec $ARGV[0]: $!\\n\";");
            info.ArgumentList.Add(Executable ?? "dotnet");
        }

        if (Executable is null)
        {
            info.ArgumentList.Add(Dll);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start lifeboat");
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(null, args);

    public Task<CliResult> RunAsync(byte[]? stdin, params string[] args) =>
        RunAsync(stdin is null ? null : (Stream)new MemoryStream(stdin), null, args);

    /// <summary>Runs to completion, feeding <paramref name="stdin"/> and collecting stdout (or copying it to <paramref name="stdoutSink"/>).</summary>
    public async Task<CliResult> RunAsync(Stream? stdin, Stream? stdoutSink, params string[] args)
    {
        using var process = Start(args);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ReadRss(process.Id));
                try
                {
                    await Task.Delay(50, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        var output = stdoutSink ?? new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(output);
        var readErr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                await stdin.CopyToAsync(process.StandardInput.BaseStream);
            }
            catch (IOException)
            {
                // The process exited before reading everything; its exit code tells why.
            }
        }

        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        await copyOut;
        var stderr = await readErr;
        await process.WaitForExitAsync();
        await sampling.CancelAsync();
        await sampler;
        return new CliResult(process.ExitCode, stdoutSink is null ? ((MemoryStream)output).ToArray() : [], stderr, peak);
    }

    /// <summary>Resident memory of a process from /proc (0 when it has gone).</summary>
    public static long ReadRss(int processId)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
