using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lifeboat.Agent.Http;

namespace Lifeboat.Agent.Host;

/// <summary>Where the journal of a plan file is: <c>--journal</c>, else <c>agent.journal</c> (relative to the plan file), else the user's state folder.</summary>
public static class JournalLocation
{
    /// <summary>
    /// The journal's path: <paramref name="given"/>; else the file's <c>agent.journal</c> (a relative path is read from the
    /// plan file's folder); else <c>$XDG_STATE_HOME/lifeboat/journal.db</c>, else <c>~/.local/state/lifeboat/journal.db</c>.
    /// </summary>
    public static string Resolve(PlanFile.PlanFile file, string? given, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(given))
        {
            return Path.GetFullPath(given);
        }

        if (file.Agent.Journal is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured, Path.GetDirectoryName(Path.GetFullPath(file.Path))!);
        }

        var state = environment("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "lifeboat", "journal.db");
    }
}

/// <summary>The API could not be reached or answered an error (the message says which, never the token).</summary>
public sealed class AgentUnreachableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// A client of a serving agent's API, found through its state file beside the journal (so it works whatever
/// <c>--listen</c> the agent was given): <c>lifeboat plans</c> and <c>lifeboat run</c> go through it when an agent serves.
/// </summary>
public sealed class AgentClient : IDisposable
{
    private readonly HttpClient _http;

    private AgentClient(AgentStateFile state)
    {
        State = state;
        _http = new HttpClient { BaseAddress = new Uri(state.Url), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", state.Token);
    }

    /// <summary>The agent's state file.</summary>
    public AgentStateFile State { get; }

    /// <summary>A client of the agent whose journal is <paramref name="journal"/>, when one is serving; null otherwise.</summary>
    public static AgentClient? Find(string journal) =>
        AgentStateFile.ReadLive(AgentStateFile.PathFor(journal)) is { } state ? new AgentClient(state) : null;

    /// <summary>Every plan, as the agent sees it now.</summary>
    public async Task<PlansView> PlansAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => _http.GetAsync("api/plans", cancellationToken), cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, AgentJson.Readable.PlansView, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the agent to back up <paramref name="plan"/> now; with <see cref="RunRequest.Wait"/>, answers when the run ended.</summary>
    /// <exception cref="KeyNotFoundException">The agent has no such plan.</exception>
    public async Task<RunAnswer> RunAsync(string plan, RunRequest request, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => _http.PostAsJsonAsync($"api/plans/{Uri.EscapeDataString(plan)}/run", request, AgentJson.Readable.RunRequest, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            var error = await response.Content.ReadFromJsonAsync(AgentJson.Readable.ApiError, cancellationToken).ConfigureAwait(false);
            throw new KeyNotFoundException(error?.Error ?? $"the agent has no plan '{plan}'");
        }

        return await ReadAsync(response, AgentJson.Readable.RunAnswer, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new AgentUnreachableException($"the agent serving {State.PlanFile} (pid {State.Pid}) does not answer at {State.Url}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentUnreachableException($"the agent serving {State.PlanFile} (pid {State.Pid}) did not answer at {State.Url}", e);
        }
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new AgentUnreachableException($"the agent at {State.Url} answered {(int)response.StatusCode}: {body.Trim()}");
        }

        return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
            ?? throw new AgentUnreachableException($"the agent at {State.Url} answered an empty body");
    }
}
