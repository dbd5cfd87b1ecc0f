using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lifeboat.Agent.Host;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Tests.Host;

/// <summary>Job bodies that do what a test says: succeed with figures, fail, or wait for a gate; every call is recorded.</summary>
internal sealed class ScriptedJobs : IPlanJobs
{
    private readonly ConcurrentQueue<(string Plan, RunKind Kind, RunOptions Options)> _calls = new();

    /// <summary>What the n-th call (from 0) of a plan's job does; default: succeeds with size 1000 and added 100.</summary>
    public Func<int, CancellationToken, Task<JobReport>> Behaviour { get; set; } = (_, _) => Task.FromResult(Report(1000));

    public IReadOnlyList<(string Plan, RunKind Kind, RunOptions Options)> Calls => [.. _calls];

    /// <summary>The snapshots each plan's repository holds (for a journal rebuilt at start); none by default.</summary>
    public Func<PlanSettings, IReadOnlyList<PastBackup>> History { get; set; } = _ => [];

    public Task<IReadOnlyList<PastBackup>> HistoryAsync(PlanFile.PlanFile file, PlanSettings plan, CancellationToken cancellationToken) =>
        Task.FromResult(History(plan));

    public static JobReport Report(double size, string? failure = null) =>
        new("snapshot 1234abcd", new Dictionary<string, double> { ["size_bytes"] = size, ["added_bytes"] = size / 10 }, [], [], failure);

    public Task<JobReport> RunAsync(PlanFile.PlanFile file, PlanSettings plan, RunKind kind, RunOptions options, IProgress<string> status, CancellationToken cancellationToken)
    {
        var n = _calls.Count;
        _calls.Enqueue((plan.Name, kind, options));
        status.Report("working");
        return Behaviour(n, cancellationToken);
    }
}

/// <summary>The agent's log lines, kept.</summary>
internal sealed class MemoryLog : IAgentLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public void Write(LogLevel level, string? subject, string message) => _lines.Enqueue($"{level} {subject}: {message}");
}

/// <summary>A temporary folder with a plan file and a journal, and an agent started on them.</summary>
internal sealed class AgentHostFixture : IAsyncDisposable
{
    public AgentHostFixture()
    {
        Folder = Directory.CreateTempSubdirectory("lifeboat-agent-").FullName;
        PlanFilePath = Path.Combine(Folder, "lifeboat.yaml");
        JournalPath = Path.Combine(Folder, "journal.db");
    }

    public string Folder { get; }

    public string PlanFilePath { get; }

    public string JournalPath { get; }

    public ScriptedJobs Jobs { get; } = new();

    public MemoryLog Log { get; } = new();

    public AgentHost? Agent { get; private set; }

    public HttpClient Http { get; } = new();

    /// <summary>A plan file with one plan <c>app</c> on <paramref name="schedule"/>, notifying a webhook at <paramref name="hook"/>.</summary>
    public static string PlanText(string schedule, Uri? hook = null, string backupExtra = "", string morePlans = "")
    {
        var lines = new List<string>
        {
            "repositories:",
            "  main: { url: /tmp/not-opened-by-scripted-jobs, password: \"${NO_SUCH_VARIABLE}\" }",
            "sources:",
            "  app: { db: \"host=127.0.0.1 dbname=app\" }",
            "plans:",
            "  app:",
            "    source: app",
            "    repository: main",
            $"    notify: [{(hook is null ? "" : "hook")}]",
            "    backup:",
            $"      schedule: \"{schedule}\"",
        };
        if (backupExtra.Length > 0)
        {
            lines.Add(backupExtra);
        }

        if (morePlans.Length > 0)
        {
            lines.Add(morePlans);
        }

        lines.Add("channels:");
        lines.Add($"  hook: {{ type: webhook, url: \"{hook ?? new Uri("http://127.0.0.1:9/")}\" }}");
        return string.Join('\n', lines) + "\n";
    }

    public async Task<AgentHost> StartAsync(string planText, TimeSpan? grace = null)
    {
        await File.WriteAllTextAsync(PlanFilePath, planText);
        var file = await PlanFileReader.LoadAsync(PlanFilePath, CancellationToken.None);
        var options = new AgentOptions(JournalPath, new IPEndPoint(IPAddress.Loopback, 0), grace ?? TimeSpan.FromSeconds(5), "test")
        {
            WatchEvery = TimeSpan.FromMilliseconds(200),
            FreshnessEvery = TimeSpan.FromMilliseconds(200),
            RemindTick = TimeSpan.FromMilliseconds(500),
            Delivery = new DeliveryPolicy(1, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5)),
        };
        Agent = await AgentHost.StartAsync(file, options, Jobs, _ => null, Log, TimeProvider.System, CancellationToken.None);
        Http.BaseAddress = Agent.Address;
        var state = AgentStateFile.ReadLive(AgentStateFile.PathFor(JournalPath))!;
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", state.Token);
        return Agent;
    }

    public async Task<PlansView> PlansAsync()
    {
        var text = await Http.GetStringAsync("/api/plans");
        return JsonSerializer.Deserialize(text, AgentJson.Default.PlansView)!;
    }

    /// <summary>Waits until <paramref name="done"/> holds, up to <paramref name="seconds"/>; fails saying what was awaited.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> done, string what, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"not within {seconds} s: {what}");
            }

            await Task.Delay(100);
        }
    }

    public static Task EventuallyAsync(Func<bool> done, string what, int seconds = 20) => EventuallyAsync(() => Task.FromResult(done()), what, seconds);

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null)
        {
            await Agent.DisposeAsync();
        }

        Http.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
