using System.Security.Cryptography;
using System.Text.Json;
using Lifeboat.Agent.Http;

namespace Lifeboat.Agent.Host;

/// <summary>
/// What a serving agent tells other Lifeboat processes of the same user (<c>lifeboat plans</c>, <c>lifeboat run</c>):
/// its pid, the address it listens on and the token its API wants. Written beside the journal, readable by its owner
/// only (0600), removed when the agent stops; a file left by a killed agent is recognised by its dead pid.
/// </summary>
/// <param name="Pid">The agent's process id.</param>
/// <param name="Url">Where its endpoint listens, e.g. <c>http://127.0.0.1:8420/</c>.</param>
/// <param name="Token">The bearer token of <c>/api/</c>: random per start, never logged.</param>
/// <param name="PlanFile">The plan file it serves.</param>
/// <param name="StartedAt">When it started.</param>
public sealed record AgentStateFile(int Pid, string Url, string Token, string PlanFile, DateTimeOffset StartedAt)
{
    /// <summary>The state file of the agent whose journal is <paramref name="journal"/>.</summary>
    public static string PathFor(string journal) => journal + ".agent.json";

    /// <summary>A new random API token.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Writes the file (created 0600, replaced atomically).</summary>
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, AgentJson.Readable.AgentStateFile);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The state file at <paramref name="path"/> when it names a live process; null when there is none (or its agent died).</summary>
    public static AgentStateFile? ReadLive(string path)
    {
        AgentStateFile? state;
        try
        {
            using var stream = File.OpenRead(path);
            state = JsonSerializer.Deserialize(stream, AgentJson.Readable.AgentStateFile);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }

        if (state is null)
        {
            return null;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(state.Pid);
            return process.HasExited ? null : state;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
