using System.Globalization;
using Lifeboat.Agent.Alerts;
using Microsoft.Data.Sqlite;

namespace Lifeboat.Agent.Journal;

/// <summary>
/// The agent's run journal, a local SQLite file: every run (plan, kind, start, end, result, figures, error), the alert
/// states that are not resolved (so a restart neither re-sends nor loses a firing alert) and every delivery of a
/// notification. A convenience for the agent, the dashboard and the metrics, never the truth: the repository is the
/// truth for snapshots, audit and evidence, and losing this file loses no backup. On open, a run still marked running
/// by a previous process is marked failed (<see cref="InterruptedMessage"/>). One connection, calls serialized.
/// </summary>
internal sealed class RunJournal : IAsyncDisposable, Runner.ISlotLedger
{
    /// <summary>The schema version this code writes (SQLite's <c>user_version</c>).</summary>
    public const int SchemaVersion = 4;

    /// <summary>The error of a run that was still running when the agent stopped.</summary>
    public const string InterruptedMessage = "interrupted: the agent stopped during the run";

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The column of <see cref="RunRecord.Origin"/>; NULL in a file of schema 3 read beside an older agent.</summary>
    private readonly string _origin;

    private RunJournal(SqliteConnection connection, TimeProvider time, IReadOnlyList<RunRecord> interrupted, bool hasOrigin = true)
    {
        _origin = hasOrigin ? "origin" : "NULL";
        _connection = connection;
        _time = time;
        Interrupted = interrupted;
    }

    /// <summary>The runs that a previous process left running, now marked failed (the agent alerts about them).</summary>
    public IReadOnlyList<RunRecord> Interrupted { get; }

    /// <summary>Opens the journal at <paramref name="path"/>, creating it (and its folder) or upgrading its schema.</summary>
    /// <exception cref="JournalException">The file is not a journal, or a newer Lifeboat wrote it.</exception>
    public static async Task<RunJournal> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(time);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await JournalSchema.MigrateAsync(connection, path, cancellationToken);
            var interrupted = await MarkInterruptedAsync(connection, time.GetUtcNow(), cancellationToken);
            return new RunJournal(connection, time, interrupted);
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw new JournalException($"The journal {path} cannot be used: {e.Message}", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opens the journal at <paramref name="path"/> to read it beside a running agent (<c>lifeboat plans</c>): nothing is
    /// created, migrated or marked. Null when there is no file yet (no run so far).
    /// </summary>
    /// <exception cref="JournalException">The file is not a journal, or a newer Lifeboat wrote it.</exception>
    public static async Task<RunJournal?> OpenReadOnlyAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            var version = await JournalSchema.VersionAsync(connection, cancellationToken);
            if (version > SchemaVersion)
            {
                throw new JournalException($"The journal {path} has schema version {version}, newer than this Lifeboat's {SchemaVersion}: run the newer Lifeboat.");
            }

            return new RunJournal(connection, time, [], hasOrigin: version >= 4);
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw new JournalException($"The journal {path} cannot be read: {e.Message}", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Journals the start of a run and returns its id.</summary>
    public Task<long> StartRunAsync(string plan, RunKind kind, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await using var command = Command(
                "INSERT INTO runs (plan, kind, started_at, result, pid) VALUES ($plan, $kind, $at, 'running', $pid) RETURNING id",
                ("$plan", plan), ("$kind", Name(kind)), ("$at", Stamp(_time.GetUtcNow())), ("$pid", Environment.ProcessId));
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    /// <summary>Journals the end of run <paramref name="id"/>: its result, figures and error.</summary>
    public Task FinishRunAsync(long id, RunResult result, IReadOnlyDictionary<string, double>? figures, string? error, CancellationToken cancellationToken)
    {
        if (result == RunResult.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(result), result, "A finished run cannot be running.");
        }

        return LockedAsync(async () =>
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            await using (var update = Command(
                "UPDATE runs SET ended_at = $at, result = $result, error = $error WHERE id = $id",
                ("$at", Stamp(_time.GetUtcNow())), ("$result", Name(result)), ("$error", error), ("$id", id)))
            {
                if (await update.ExecuteNonQueryAsync(cancellationToken) != 1)
                {
                    throw new ArgumentException($"The journal has no run {id}.", nameof(id));
                }
            }

            foreach (var (name, value) in figures ?? new Dictionary<string, double>())
            {
                await using var insert = Command(
                    "INSERT OR REPLACE INTO run_figures (run_id, name, value) VALUES ($id, $name, $value)",
                    ("$id", id), ("$name", name), ("$value", value));
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>True when the journal holds no run at all: new, or lost and made again (<see cref="Host.JournalRebuild"/>).</summary>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await using var command = Command("SELECT EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM slots)");
            return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 0;
        }, cancellationToken);

    /// <summary>
    /// Journals runs that ended before this journal existed (rebuilt from the repository's snapshots), in one transaction,
    /// each with its <see cref="RunRecord.Origin"/>; the records' ids are ignored (the journal gives new ones).
    /// </summary>
    public Task ImportRunsAsync(IReadOnlyList<RunRecord> runs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return LockedAsync(async () =>
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            foreach (var run in runs)
            {
                if (run.Result == RunResult.Running || run.EndedAt is null)
                {
                    throw new ArgumentException("An imported run has ended.", nameof(runs));
                }

                await using var insert = Command(
                    "INSERT INTO runs (plan, kind, started_at, ended_at, result, error, origin) VALUES ($plan, $kind, $start, $end, $result, $error, $origin) RETURNING id",
                    ("$plan", run.Plan), ("$kind", Name(run.Kind)), ("$start", Stamp(run.StartedAt)), ("$end", Stamp(run.EndedAt.Value)),
                    ("$result", Name(run.Result)), ("$error", run.Error), ("$origin", run.Origin));
                var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
                foreach (var (name, value) in run.Figures)
                {
                    await using var figure = Command(
                        "INSERT INTO run_figures (run_id, name, value) VALUES ($id, $name, $value)", ("$id", id), ("$name", name), ("$value", value));
                    await figure.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<DateTimeOffset?> LastRunSlotAsync(string key, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await using var command = Command("SELECT slot FROM slots WHERE key = $key", ("$key", key));
            return await command.ExecuteScalarAsync(cancellationToken) is string slot ? Parse(slot) : (DateTimeOffset?)null;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>A slot older than the one recorded never replaces it (two runs that end out of order).</remarks>
    public Task RecordAsync(string key, DateTimeOffset slot, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT INTO slots (key, slot, recorded_at) VALUES ($key, $slot, $at) " +
            "ON CONFLICT (key) DO UPDATE SET slot = excluded.slot, recorded_at = excluded.recorded_at WHERE excluded.slot > slots.slot",
            cancellationToken,
            ("$key", key), ("$slot", Stamp(slot)), ("$at", Stamp(_time.GetUtcNow())));

    /// <summary>The last <paramref name="limit"/> runs of a plan (of one kind, or all kinds when null), newest first.</summary>
    public Task<IReadOnlyList<RunRecord>> RecentRunsAsync(string plan, RunKind? kind, int limit, CancellationToken cancellationToken) =>
        LockedAsync(() => ReadRunsAsync(
            _connection,
            $"SELECT id, plan, kind, started_at, ended_at, result, error, {_origin} FROM runs WHERE plan = $plan AND ($kind IS NULL OR kind = $kind) ORDER BY id DESC LIMIT $limit",
            [("$plan", plan), ("$kind", kind is { } k ? Name(k) : null), ("$limit", limit)],
            cancellationToken), cancellationToken);

    /// <summary>How many runs of <paramref name="kind"/> of <paramref name="plan"/> ended (succeeded or failed): a check's subset rotation.</summary>
    public Task<long> CountEndedRunsAsync(string plan, RunKind kind, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await using var command = Command(
                "SELECT count(*) FROM runs WHERE plan = $plan AND kind = $kind AND result IN ('succeeded', 'failed')", ("$plan", plan), ("$kind", Name(kind)));
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    /// <summary>Saves the state of an alert that is not resolved (inserted, or replaced when it changed).</summary>
    public Task SaveAlertAsync(AlertState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ExecuteAsync(
            "INSERT OR REPLACE INTO alerts (key, plan, condition, status, since, last_notified_at, reminders, detail) " +
            "VALUES ($key, $plan, $condition, $status, $since, $last, $reminders, $detail)",
            cancellationToken,
            ("$key", state.Key), ("$plan", state.Plan), ("$condition", state.Condition.Name()),
            ("$status", state.Status == AlertStatus.Firing ? "firing" : "reminded"), ("$since", Stamp(state.Since)),
            ("$last", Stamp(state.LastNotifiedAt)), ("$reminders", state.Reminders), ("$detail", state.Detail));
    }

    /// <summary>Forgets a resolved alert.</summary>
    public Task ResolveAlertAsync(string key, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM alerts WHERE key = $key", cancellationToken, ("$key", key));

    /// <summary>The alerts that were not resolved, to give <see cref="AlertTracker"/> after a restart.</summary>
    public Task<IReadOnlyList<AlertState>> LoadAlertsAsync(CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await using var command = Command("SELECT plan, condition, status, since, last_notified_at, reminders, detail FROM alerts ORDER BY key");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var states = new List<AlertState>();
            while (await reader.ReadAsync(cancellationToken))
            {
                if (AlertConditionNames.Parse(reader.GetString(1)) is not { } condition)
                {
                    continue; // a condition a newer Lifeboat knows: not ours to remind of
                }

                states.Add(new AlertState(
                    reader.GetString(0), condition, reader.GetString(2) == "firing" ? AlertStatus.Firing : AlertStatus.Reminded,
                    Parse(reader.GetString(3)), Parse(reader.GetString(4)), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
            }

            return (IReadOnlyList<AlertState>)states;
        }, cancellationToken);

    /// <summary>Journals one delivery of a notification through a channel.</summary>
    public Task RecordDeliveryAsync(DeliveryRecord delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return ExecuteAsync(
            "INSERT INTO deliveries (channel, kind, dedup_key, at, attempts, succeeded, error) " +
            "VALUES ($channel, $kind, $key, $at, $attempts, $succeeded, $error)",
            cancellationToken,
            ("$channel", delivery.Channel), ("$kind", Name(delivery.Kind)), ("$key", delivery.DedupKey), ("$at", Stamp(delivery.At)),
            ("$attempts", delivery.Attempts), ("$succeeded", delivery.Succeeded ? 1 : 0), ("$error", delivery.Error));
    }

    /// <summary>The last <paramref name="limit"/> deliveries, newest first.</summary>
    public Task<IReadOnlyList<DeliveryRecord>> RecentDeliveriesAsync(int limit, CancellationToken cancellationToken) =>
        LockedAsync(async () =>
        {
            await using var command = Command(
                "SELECT channel, kind, dedup_key, at, attempts, succeeded, error FROM deliveries ORDER BY id DESC LIMIT $limit", ("$limit", limit));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var deliveries = new List<DeliveryRecord>();
            while (await reader.ReadAsync(cancellationToken))
            {
                deliveries.Add(new DeliveryRecord(
                    reader.GetString(0), Enum.Parse<NotificationKind>(reader.GetString(1), ignoreCase: true), reader.GetString(2),
                    Parse(reader.GetString(3)), reader.GetInt32(4), reader.GetInt32(5) == 1, reader.IsDBNull(6) ? null : reader.GetString(6)));
            }

            return (IReadOnlyList<DeliveryRecord>)deliveries;
        }, cancellationToken);

    /// <summary>Closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _gate.Dispose();
    }

    /// <summary>
    /// Marks failed the runs left running by a process that is gone: one whose pid no longer runs, this process's own
    /// (it just started), or one journaled before pids were. A run of a live process (a foreground <c>lifeboat run</c>
    /// while the agent starts) is left alone.
    /// </summary>
    private static async Task<IReadOnlyList<RunRecord>> MarkInterruptedAsync(SqliteConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var gone = new List<long>();
        await using (var running = connection.CreateCommand())
        {
            running.CommandText = "SELECT id, pid FROM runs WHERE result = 'running'";
            await using var reader = await running.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsDBNull(1) || !Alive(reader.GetInt32(1)))
                {
                    gone.Add(reader.GetInt64(0));
                }
            }
        }

        if (gone.Count == 0)
        {
            return [];
        }

        var ids = string.Join(", ", gone);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"UPDATE runs SET result = 'failed', ended_at = $at, error = $error WHERE id IN ({ids})";
            command.Parameters.AddWithValue("$at", Stamp(now));
            command.Parameters.AddWithValue("$error", InterruptedMessage);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return await ReadRunsAsync(
            connection, $"SELECT id, plan, kind, started_at, ended_at, result, error, origin FROM runs WHERE id IN ({ids}) ORDER BY id", [], cancellationToken);
    }

    /// <summary>Whether process <paramref name="pid"/> runs, and is not this one.</summary>
    private static bool Alive(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<IReadOnlyList<RunRecord>> ReadRunsAsync(
        SqliteConnection connection, string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        var runs = new List<RunRecord>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                runs.Add(new RunRecord(
                    reader.GetInt64(0), reader.GetString(1), Enum.Parse<RunKind>(reader.GetString(2), ignoreCase: true), Parse(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : Parse(reader.GetString(4)), Enum.Parse<RunResult>(reader.GetString(5), ignoreCase: true),
                    new Dictionary<string, double>(), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }

        for (var i = 0; i < runs.Count; i++)
        {
            await using var figures = connection.CreateCommand();
            figures.CommandText = "SELECT name, value FROM run_figures WHERE run_id = $id ORDER BY name";
            figures.Parameters.AddWithValue("$id", runs[i].Id);
            await using var reader = await figures.ExecuteReaderAsync(cancellationToken);
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            while (await reader.ReadAsync(cancellationToken))
            {
                values[reader.GetString(0)] = reader.GetDouble(1);
            }

            runs[i] = runs[i] with { Figures = values };
        }

        return runs;
    }

    private async Task<T> LockedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await action();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs one statement under the lock.</summary>
    private Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        LockedAsync(async () =>
        {
            await using var command = Command(sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Stamp(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string stamp) =>
        DateTimeOffset.ParseExact(stamp, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
