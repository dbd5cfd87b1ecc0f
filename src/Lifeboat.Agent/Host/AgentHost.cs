using System.Net;
using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Agent.Runner;

namespace Lifeboat.Agent.Host;

/// <summary>How <c>lifeboat serve</c> runs: where its journal is, where it listens, how long a stop waits for running jobs.</summary>
internal sealed record AgentOptions(string JournalPath, IPEndPoint Listen, TimeSpan StopGrace, string Version)
{
    /// <summary>How often the plan file is looked at for a change.</summary>
    public TimeSpan WatchEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often freshness is evaluated (the overdue alert, <c>/healthz</c>).</summary>
    public TimeSpan FreshnessEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often due reminders are looked for.</summary>
    public TimeSpan RemindTick { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How hard each notification is tried.</summary>
    public DeliveryPolicy Delivery { get; init; } = DeliveryPolicy.Default;
}

/// <summary>
/// <c>lifeboat serve</c> once started: the plan file's jobs on their schedules through one <see cref="JobQueue"/>,
/// each run through <see cref="RunExecutor"/> (journal, alerts, pings), freshness watched, the HTTP endpoint serving
/// metrics, health and the API, the plan file reloaded when it changes (or on SIGHUP) after it was checked: a bad edit
/// keeps the running plans and says why. <see cref="StopAsync"/> lets running jobs finish within the grace, then
/// cancels them (a backup then commits nothing).
/// </summary>
internal sealed partial class AgentHost : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly RunJournal _journal;
    private readonly JobQueue _queue;
    private readonly PlanBook _book;
    private readonly AlertLoop _alerts;
    private readonly RunExecutor _executor;
    private readonly IAgentLog _log;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private readonly HttpClient _http;
    private readonly DateTimeOffset _startedAt;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private volatile PlanFile.PlanFile _file;
    private volatile IReadOnlyDictionary<string, Health.FreshnessVerdict> _freshness = new Dictionary<string, Health.FreshnessVerdict>();
    private CancellationTokenSource _schedule = new();
    private Task _scheduler = Task.CompletedTask;
    private (DateTime Written, long Length) _seen;
    private AgentEndpoint? _endpoint;
    private string? _stateFile;
    private int _stopped;
    private long _asked;

    private AgentHost(
        PlanFile.PlanFile file, AgentOptions options, RunJournal journal, PlanBook book, AlertLoop alerts, IPlanJobs jobs,
        Func<string, string?> environment, HttpClient http, IAgentLog log, TimeProvider time)
    {
        _file = file;
        _options = options;
        _journal = journal;
        _book = book;
        _alerts = alerts;
        _environment = environment;
        _http = http;
        _log = log;
        _time = time;
        _startedAt = time.GetUtcNow();
        _queue = new JobQueue(file.Agent.Concurrency, time);
        _executor = new RunExecutor(jobs, journal, book, alerts, log, time);
        _seen = Stamp(file.Path);
    }

    /// <summary>Where the endpoint listens.</summary>
    public Uri Address => _endpoint!.Address;

    /// <summary>The plan file being served.</summary>
    public PlanFile.PlanFile File => _file;

    /// <summary>
    /// Opens the journal (rebuilt from the repositories when it holds no run: <see cref="JournalRebuild"/>), restores the
    /// alert states, makes the channels, listens, and starts the schedules.
    /// <see cref="ChannelConfigurationException"/> (a channel's secret variable is unset), <see cref="JournalException"/>
    /// and <see cref="ListenException"/> say what stopped it; nothing is left open then.
    /// </summary>
    public static async Task<AgentHost> StartAsync(
        PlanFile.PlanFile file, AgentOptions options, IPlanJobs jobs, Func<string, string?> environment, IAgentLog log, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // each attempt's timeout is the dispatcher's
        RunJournal? journal = null;
        AgentHost? host = null;
        try
        {
            var routes = Routes(file, environment, http); // before the journal: a channel that cannot be made creates nothing
            journal = await RunJournal.OpenAsync(options.JournalPath, time, cancellationToken).ConfigureAwait(false);
            var dispatcher = new NotificationDispatcher(routes, options.Delivery, time, journal);
            await JournalRebuild.RunAsync(file, journal, jobs, log, cancellationToken).ConfigureAwait(false);
            var book = new PlanBook();
            await SeedAsync(book, file, journal, cancellationToken).ConfigureAwait(false);
            var pipeline = await AlertPipeline.StartAsync(journal, dispatcher, time, file.Agent.RemindEvery, cancellationToken).ConfigureAwait(false);
            var alerts = new AlertLoop(pipeline, dispatcher, log, time, options.RemindTick);
            host = new AgentHost(file, options, journal, book, alerts, jobs, environment, http, log, time);
            host.Interrupted(journal.Interrupted);
            host._endpoint = await AgentEndpoint.StartAsync(options.Listen, host.View, host.View, cancellationToken).ConfigureAwait(false);
            host.WriteStateFile();
            host.StartSchedules();
            host._loops.Add(host.WatchFreshnessAsync(host._stopping.Token));
            host._loops.Add(host.WatchFileAsync(host._stopping.Token));
            host.View.Ready = true;
            log.Write(LogLevel.Info, null, $"serving {Count(file.Plans.Count, "plan")} of {file.Path} on {host.Address} (journal {options.JournalPath})");
            return host;
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                if (journal is not null)
                {
                    await journal.DisposeAsync().ConfigureAwait(false);
                }

                http.Dispose();
            }

            throw;
        }
    }

    /// <summary>Reads the plan file again and, when it is valid, serves it; when not, keeps the plans running and logs why.</summary>
    public async Task<bool> ReloadAsync(string why)
    {
        await _reloadGate.WaitAsync().ConfigureAwait(false);
        try
        {
            var path = _file.Path;
            _seen = Stamp(path);
            PlanFile.PlanFile next;
            NotificationDispatcher dispatcher;
            try
            {
                next = await PlanFileReader.LoadAsync(path, CancellationToken.None).ConfigureAwait(false);
                dispatcher = new NotificationDispatcher(Routes(next, _environment, _http), _options.Delivery, _time, _journal);
            }
            catch (PlanFileException e)
            {
                foreach (var error in e.Errors)
                {
                    _log.Write(LogLevel.Error, "plan file", $"{error.File}:{error.Line}:{error.Column}: {error.Message}");
                }

                _log.Write(LogLevel.Error, "plan file", $"{why}, but it has {Count(e.Errors.Count, "error")}: the plans loaded before keep running unchanged");
                return false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ChannelConfigurationException)
            {
                var reason = e is ChannelConfigurationException c ? c.Reason : e.Message;
                _log.Write(LogLevel.Error, "plan file", $"{why}, but it cannot be used ({reason}): the plans loaded before keep running unchanged");
                return false;
            }

            foreach (var change in RestartOnly(_file.Agent, next.Agent))
            {
                _log.Write(LogLevel.Warning, "plan file", $"{change} changed: it takes effect when the agent restarts");
            }

            await StopSchedulesAsync().ConfigureAwait(false);
            await SeedAsync(_book, new PlanFile.PlanFile(next.Path, next.Agent, next.Repositories, next.Sources,
                next.Plans.Where(p => _file.Plans.All(old => old.Name != p.Name)).ToArray(), next.Channels), _journal, CancellationToken.None).ConfigureAwait(false);
            _file = next;
            _alerts.Use(dispatcher, dispatcher);
            StartSchedules();
            _log.Write(LogLevel.Info, "plan file", $"{why}: reloaded, now serving {Count(next.Plans.Count, "plan")}");
            return true;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>
    /// Stops: no new run starts; running ones get the grace to finish, then are cancelled and journaled as cancelled;
    /// queued notifications get a few seconds; the endpoint and the journal close.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        View.Ready = false;
        var running = _queue.Status().Count(s => s.Running);
        _log.Write(LogLevel.Info, null, running > 0
            ? $"stopping: {Count(running, "running job")} may finish within {Durations.Format(_options.StopGrace)}, then they are cancelled (nothing half committed)"
            : "stopping");
        await _stopping.CancelAsync().ConfigureAwait(false);
        await StopSchedulesAsync().ConfigureAwait(false);
        await _queue.StopAsync(_options.StopGrace).ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        await _alerts.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }

        if (_stateFile is not null)
        {
            System.IO.File.Delete(_stateFile);
        }

        _log.Write(LogLevel.Info, null, "stopped");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _queue.DisposeAsync().ConfigureAwait(false);
        await _alerts.DisposeAsync().ConfigureAwait(false);
        await _journal.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        _reloadGate.Dispose();
        _stopping.Dispose();
        _schedule.Dispose();
    }

    /// <summary>A route for every channel a plan names (each channel taking its plans' notifications only).</summary>
    private static ChannelRoute[] Routes(PlanFile.PlanFile file, Func<string, string?> environment, HttpClient http) =>
        file.Channels
            .Select(c => (Channel: c, Plans: file.Plans.Where(p => p.Notify.Contains(c.Name)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal)))
            .Where(c => c.Plans.Count > 0)
            .Select(c => ChannelFactory.Route(c.Channel, environment, http) with { Plans = c.Plans })
            .ToArray();

    private static async Task SeedAsync(PlanBook book, PlanFile.PlanFile file, RunJournal journal, CancellationToken cancellationToken)
    {
        foreach (var plan in file.Plans)
        {
            foreach (var kind in PlansReport.Kinds(plan))
            {
                book.Seed(plan.Name, kind, await journal.RecentRunsAsync(plan.Name, kind, 10, cancellationToken).ConfigureAwait(false), plan.Repository);
            }
        }
    }

    private static IEnumerable<string> RestartOnly(AgentSettings old, AgentSettings next)
    {
        if (old.Listen != next.Listen) yield return "agent.listen";
        if (old.Journal != next.Journal) yield return "agent.journal";
        if (old.Concurrency != next.Concurrency) yield return "agent.concurrency";
        if (old.RemindEvery != next.RemindEvery) yield return "agent.remind_every";
    }

    /// <summary>Runs a previous process left running: journaled as failed when the journal opened; said, and alerted as failures.</summary>
    private void Interrupted(IReadOnlyList<RunRecord> runs)
    {
        foreach (var run in runs)
        {
            _log.Write(LogLevel.Warning, $"{run.Plan}/{PlansReport.Name(run.Kind)}", $"the run started at {UtcTime.Format(run.StartedAt)} was interrupted (the agent stopped during it): journaled as failed");
            if (_file.Plans.Any(p => p.Name == run.Plan) && AlertRules.Run(run) is { } observation)
            {
                _alerts.Observe(observation);
            }
        }
    }

    private void WriteStateFile()
    {
        var path = AgentStateFile.PathFor(Path.GetFullPath(_options.JournalPath));
        new AgentStateFile(Environment.ProcessId, Address.ToString(), View.Token, Path.GetFullPath(_file.Path), _startedAt).Write(path);
        _stateFile = path;
    }

    private static (DateTime, long) Stamp(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }
        catch (IOException)
        {
            return (DateTime.MinValue, -1);
        }
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
