using System.Diagnostics;

namespace Lifeboat.Cli;

/// <summary>A one-line progress display on stderr, refreshed twice a second while work runs.</summary>
internal sealed class Progress : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<TimeSpan, string> _render;
    private readonly bool _enabled;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private Progress(bool enabled, Func<TimeSpan, string> render)
    {
        _enabled = enabled;
        _render = render;
        _loop = enabled ? LoopAsync() : Task.CompletedTask;
    }

    /// <summary>Starts showing <paramref name="render"/>'s line (given the elapsed time) when enabled.</summary>
    public static Progress Start(bool enabled, Func<TimeSpan, string> render) => new(enabled, render);

    /// <summary>"1.2 GiB of 4.0 GiB, 210 MB/s, ETA 0:14" style text.</summary>
    public static string Transfer(long done, long? total, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0.2 ? done / elapsed.TotalSeconds : 0;
        var text = total is > 0 ? $"{Bytes.Format(done)} of {Bytes.Format(total.Value)}" : Bytes.Format(done);
        text += $", {Bytes.Format((long)rate)}/s";
        if (total is > 0 && rate > 0 && done <= total)
        {
            var eta = TimeSpan.FromSeconds((total.Value - done) / rate);
            text += $", ETA {(int)eta.TotalMinutes}:{eta.Seconds:00}";
        }

        return text;
    }

    private async Task LoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(500, _stop.Token);
                Write(_render(_clock.Elapsed));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Write(string line)
    {
        var width = Math.Max(20, SafeWidth() - 1);
        Console.Error.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 100;
        }
        catch (IOException)
        {
            return 100;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        if (_enabled)
        {
            Console.Error.Write("\r" + new string(' ', Math.Max(20, SafeWidth() - 1)) + "\r");
        }

        _stop.Dispose();
    }
}

/// <summary>Human-readable byte counts.</summary>
internal static class Bytes
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : $"{value:0.0} {units[unit]}";
    }
}
