using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Lifeboat.Postgres;

/// <summary>
/// The process that made a database, as the database's comment names it (<c>process PID on HOST, started TIME</c>),
/// so that a later run can tell a database left by a killed process from one whose process still works in it.
/// </summary>
internal readonly record struct ProcessMark(int ProcessId, string Host, DateTimeOffset Started)
{
    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ssZ";

    /// <summary>The pattern of <see cref="ToString"/>: its groups are the process id, the host and the start time.</summary>
    public const string Pattern = @"process (\d+) on (\S+), started (\S+)";

    /// <summary>This process.</summary>
    public static ProcessMark Current()
    {
        using var self = Process.GetCurrentProcess();
        return new ProcessMark(self.Id, Environment.MachineName, new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>The mark that <paramref name="match"/> found (of a pattern that holds <see cref="Pattern"/> as its groups 1 to 3).</summary>
    public static ProcessMark Of(Match match) =>
        new(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value,
            DateTimeOffset.ParseExact(match.Groups[3].Value, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));

    /// <summary>Whether the process ran on this host (only then can it be told to be gone).</summary>
    public bool IsHere => Host == Environment.MachineName;

    /// <summary>Whether the process ran on this host and no longer runs (a pid may be reused: its start time must match too).</summary>
    public bool IsGone => IsHere && !IsRunning();

    /// <inheritdoc />
    public override string ToString() =>
        $"process {ProcessId.ToString(CultureInfo.InvariantCulture)} on {Host}, started {Started.ToString(TimeFormat, CultureInfo.InvariantCulture)}";

    private bool IsRunning()
    {
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            return !process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - Started.UtcDateTime).TotalSeconds) <= 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
