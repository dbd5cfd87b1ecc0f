using System.Diagnostics;
using System.Text;

namespace Lifeboat.Postgres;

/// <summary>
/// Runs a PostgreSQL client program asynchronously: connection settings and the password via the
/// environment (never argv), stdout streamed to a consumer, stdin fed by a producer, stderr
/// captured (its tail) and reported on failure; cancellation kills the whole process tree.
/// </summary>
internal static class ChildProcess
{
    private const int StderrLimit = 16 * 1024;

    public static async Task<string> RunAsync(
        string program,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        Func<Stream, CancellationToken, Task>? readStdout,
        Func<Stream, CancellationToken, Task>? writeStdin,
        CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = writeStdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            psi.ArgumentList.Add(a);
        // only our settings reach the child: no stray PG* variable from the caller's environment
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        }
        var name = Path.GetFileName(program);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new PgToolFailedException($"{name} could not be started.", -1, "");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PgToolFailedException($"{name} could not be started: {ex.Message}.", -1, "");
        }
        using (process)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var stderr = ReadTailAsync(process.StandardError, linked.Token);
            var stdoutTask = readStdout is null
                ? process.StandardOutput.ReadToEndAsync(linked.Token)
                : ConsumeAsync(readStdout, Enlarged(process.StandardOutput.BaseStream), linked.Token);
            var stdinTask = writeStdin is null ? Task.CompletedTask : FeedAsync(writeStdin, process.StandardInput.BaseStream, linked.Token);
            try
            {
                await Task.WhenAll(stdoutTask, stdinTask);
                await process.WaitForExitAsync(linked.Token);
            }
            catch (Exception ex)
            {
                await linked.CancelAsync();
                Kill(process);
                var err = await SafeAsync(stderr);
                if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                    throw;
                if (ex is IOException && err.Length > 0)
                    throw new PgToolFailedException($"{name} failed: {err.Trim()}", -1, err);
                throw;
            }
            var errors = await stderr;
            if (process.ExitCode != 0)
                throw new PgToolFailedException($"{name} failed (exit code {process.ExitCode}): {errors.Trim()}", process.ExitCode, errors);
            return stdoutTask is Task<string> text ? await text : "";
        }
    }

    private static Stream Enlarged(Stream stdout)
    {
        PipeCapacity.TryEnlarge(stdout);
        return stdout;
    }

    private static async Task<string> ConsumeAsync(Func<Stream, CancellationToken, Task> consumer, Stream stdout, CancellationToken cancellationToken)
    {
        await consumer(stdout, cancellationToken);
        return "";
    }

    private static async Task FeedAsync(Func<Stream, CancellationToken, Task> producer, Stream stdin, CancellationToken cancellationToken)
    {
        await using (stdin)
            await producer(stdin, cancellationToken);
    }

    private static async Task<string> ReadTailAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var tail = new StringBuilder();
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
            {
                tail.Append(buffer, 0, n);
                if (tail.Length > StderrLimit)
                    tail.Remove(0, tail.Length - StderrLimit);
            }
        }
        catch (OperationCanceledException)
        {
        }
        return tail.ToString();
    }

    private static async Task<string> SafeAsync(Task<string> task)
    {
        try
        {
            return await task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            return "";
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
