namespace Lifeboat.Agent.Host;

/// <summary>How much a log line matters.</summary>
internal enum LogLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>The agent's log: one line per event (a run started or ended, a slot skipped, a reload, a delivery failed).</summary>
internal interface IAgentLog
{
    /// <summary>Writes one line; <paramref name="subject"/> is what it is about (<c>PLAN/KIND</c>, <c>plan file</c>), or null.</summary>
    void Write(LogLevel level, string? subject, string message);
}

/// <summary>
/// Log lines on a text writer (the agent's stderr): <c>2026-12-07T15:20:00Z info app-6h/backup: started</c>, or one JSON
/// object per line with <c>json</c>. Safe from several threads. Messages never hold a secret (the callers' rule).
/// </summary>
internal sealed class TextAgentLog(TextWriter writer, TimeProvider time, bool json) : IAgentLog
{
    private readonly object _gate = new();

    /// <inheritdoc />
    public void Write(LogLevel level, string? subject, string message)
    {
        var at = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var name = level switch { LogLevel.Warning => "warning", LogLevel.Error => "error", _ => "info" };
        var line = json
            ? System.Text.Json.JsonSerializer.Serialize(new AgentLogLine(at, name, subject, message), Http.AgentJson.Readable.AgentLogLine)
            : subject is null ? $"{at} {name} {message}" : $"{at} {name} {subject}: {message}";
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}

/// <summary>One log line as JSON (<c>serve --json</c>).</summary>
public sealed record AgentLogLine(string At, string Level, string? Subject, string Message);
