using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lifeboat.Repository.Crypto;
using Lifeboat.Storage;

namespace Lifeboat.Repository;

/// <summary>A lock file's content (sealed JSON under <c>locks/&lt;random id&gt;</c>).</summary>
public sealed record LockInfo(
    bool Exclusive, string Operation, string Host, string User, int ProcessId, DateTimeOffset ProcessStarted, DateTimeOffset Created, DateTimeOffset Refreshed)
{
    public string Describe() =>
        $"{(Exclusive ? "an exclusive" : "a shared")} lock for '{Operation}' held by {User}@{Host} (pid {ProcessId}) since {Created:u}, refreshed {Refreshed:u}";
}

/// <summary>
/// A lock found in the repository, and whether it is stale; <paramref name="Abandoned"/> when it
/// belongs to a process on this host that has ended (certainly dead, so safe to remove at once).
/// </summary>
public sealed record LockEntry(string Name, LockInfo? Info, bool Stale, bool Abandoned = false);

/// <summary>
/// The lock protocol. Backups, restores and checks take shared locks; prune takes an exclusive
/// one. A holder refreshes its lock every <see cref="RefreshInterval"/> by writing a new lock
/// object and removing the old one (objects are write-once). A lock is stale when it was not
/// refreshed for <see cref="StaleAfter"/>, or when it belongs to this host and its process is
/// gone. Acquiring: refuse if a conflicting live lock exists; write ours; list again and back
/// off (remove ours) if a conflicting lock appeared meanwhile. Acquiring also removes the locks
/// of processes on this host that ended without releasing theirs (killed), and says so once
/// through <see cref="RepositoryContext.Notice"/>: they block nothing, but would pile up.
/// </summary>
public static class Locks
{
    public const string Prefix = "locks/";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);
    private static readonly byte[] Aad = Encoding.ASCII.GetBytes("lifeboat lock v1");

    public static async Task<RepositoryLock> AcquireAsync(BackupRepository repository, bool exclusive, string operation, CancellationToken cancellationToken)
    {
        var abandoned = await ThrowOnConflictAsync(repository, exclusive, null, cancellationToken);
        await RemoveAbandonedAsync(repository, abandoned, cancellationToken);
        var info = NewInfo(repository, exclusive, operation);
        var name = await WriteAsync(repository, info, cancellationToken);
        try
        {
            await ThrowOnConflictAsync(repository, exclusive, name, cancellationToken);
        }
        catch
        {
            await repository.Storage.DeleteAsync(name, CancellationToken.None);
            throw;
        }

        return new RepositoryLock(repository, name, info);
    }

    public static async Task<List<LockEntry>> ListAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var entries = new List<LockEntry>();
        var now = repository.Context.Time.GetUtcNow();
        await foreach (var info in repository.Storage.ListAsync(Prefix, cancellationToken))
        {
            LockInfo? lockInfo = null;
            try
            {
                var stored = await repository.Storage.ReadAsync(info.Name, 0, null, cancellationToken);
                var json = Sealer.TryOpen(repository.Key.DataKey, stored, Aad);
                lockInfo = json is null ? null : JsonSerializer.Deserialize(json, FormatJson.Of<LockInfo>());
            }
            catch (StorageException e) when (e.Kind == StorageErrorKind.NotFound)
            {
                continue; // released meanwhile
            }
            catch (JsonException)
            {
            }

            var abandoned = lockInfo is not null && IsOfEndedLocalProcess(lockInfo, repository.Context);
            entries.Add(new LockEntry(info.Name, lockInfo, lockInfo is null || abandoned || IsStale(lockInfo, repository.Context, now), abandoned));
        }

        return entries;
    }

    /// <summary>Removes stale locks (or every lock with <paramref name="all"/>); returns how many.</summary>
    public static async Task<int> RemoveAsync(BackupRepository repository, bool all, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var entry in await ListAsync(repository, cancellationToken))
        {
            if (all || entry.Stale)
            {
                await repository.Storage.DeleteAsync(entry.Name, cancellationToken);
                removed++;
            }
        }

        return removed;
    }

    internal static async Task<string> WriteAsync(BackupRepository repository, LockInfo info, CancellationToken cancellationToken)
    {
        var name = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var json = JsonSerializer.SerializeToUtf8Bytes(info, FormatJson.Of<LockInfo>());
        await repository.Storage.WriteAsync(name, Sealer.Seal(repository.Key.DataKey, json, Aad), cancellationToken);
        return name;
    }

    private static LockInfo NewInfo(BackupRepository repository, bool exclusive, string operation)
    {
        var now = repository.Context.Time.GetUtcNow();
        var identity = repository.Context.Identity;
        return new LockInfo(exclusive, operation, identity.Host, identity.User, identity.ProcessId, ProcessStart(identity.ProcessId) ?? now, now, now);
    }

    /// <summary>Removes the locks of ended local processes; one notice for all of them.</summary>
    private static async Task RemoveAbandonedAsync(BackupRepository repository, List<LockEntry> abandoned, CancellationToken cancellationToken)
    {
        var removed = new List<LockInfo>();
        foreach (var entry in abandoned)
        {
            try
            {
                await repository.Storage.DeleteAsync(entry.Name, cancellationToken);
                removed.Add(entry.Info!);
            }
            catch (StorageException e) when (e.Kind == StorageErrorKind.NotFound)
            {
                // another process removed it first
            }
            catch (StorageException)
            {
                // left for the next command or 'unlock': it blocks nothing
            }
        }

        if (removed.Count > 0 && repository.Context.Notice is { } notice)
        {
            var operations = string.Join(", ", removed.GroupBy(l => l.Operation).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
            notice($"removed {removed.Count} lock{(removed.Count == 1 ? "" : "s")} left by Lifeboat processes on this host that ended without releasing them ({operations})");
        }
    }

    /// <summary>Throws on a live conflicting lock; returns the locks of ended processes of this host.</summary>
    private static async Task<List<LockEntry>> ThrowOnConflictAsync(BackupRepository repository, bool exclusive, string? own, CancellationToken cancellationToken)
    {
        var abandoned = new List<LockEntry>();
        foreach (var entry in await ListAsync(repository, cancellationToken))
        {
            if (entry.Abandoned && entry.Name != own)
            {
                abandoned.Add(entry);
            }

            if (entry.Name == own || entry.Stale || entry.Info is null)
            {
                continue;
            }

            if (exclusive || entry.Info.Exclusive)
            {
                throw Locked(entry.Info);
            }
        }

        return abandoned;
    }

    private static RepositoryLockedException Locked(LockInfo holder) => new(
        $"the repository is locked: {holder.Describe()}. Wait for it to finish; if that process is gone, " +
        $"'lifeboat unlock' removes stale locks (a lock is stale {StaleAfter.TotalMinutes:0} minutes after its last refresh, or at once when its process on this host has ended)");

    internal static bool IsStale(LockInfo info, RepositoryContext context, DateTimeOffset now) =>
        now - info.Refreshed > StaleAfter || IsOfEndedLocalProcess(info, context);

    /// <summary>The lock was taken on this host by a process that is no longer running (its pid is gone or reused).</summary>
    private static bool IsOfEndedLocalProcess(LockInfo info, RepositoryContext context)
    {
        if (info.Host != context.Identity.Host)
        {
            return false;
        }

        var started = ProcessStart(info.ProcessId);
        return started is null || Math.Abs((started.Value - info.ProcessStarted).TotalSeconds) > 2;
    }

    private static DateTimeOffset? ProcessStart(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited ? null : new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>A held lock; refreshes itself until disposed, then removes its lock object.</summary>
public sealed class RepositoryLock : IAsyncDisposable
{
    private readonly BackupRepository _repository;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _refresher;
    private LockInfo _info;
    private string _name;

    internal RepositoryLock(BackupRepository repository, string name, LockInfo info)
    {
        _repository = repository;
        _name = name;
        _info = info;
        _timer = new PeriodicTimer(Locks.RefreshInterval, repository.Context.Time);
        _refresher = RefreshLoopAsync();
    }

    public string Name => _name;

    /// <summary>
    /// Throws when the lock may have been taken for stale by another process: it was not
    /// refreshed for longer than <see cref="Locks.StaleAfter"/> minus one refresh interval (the
    /// process was suspended, or the storage unreachable). Holders call this right before a step
    /// whose safety depends on the lock: committing a snapshot, deleting data.
    /// </summary>
    public void ThrowIfLost()
    {
        var silent = _repository.Context.Time.GetUtcNow() - _info.Refreshed;
        if (silent > Locks.StaleAfter - Locks.RefreshInterval)
        {
            throw new RepositoryLockedException(
                $"this process's {(_info.Exclusive ? "exclusive" : "shared")} lock for '{_info.Operation}' was not refreshed for {silent.TotalMinutes:0} minutes " +
                "(the process was suspended or the storage was unreachable), so another process may have taken it for stale: " +
                "to stay safe nothing more is committed or deleted; run the command again");
        }
    }

    private async Task RefreshLoopAsync()
    {
        try
        {
            // disposing the timer ends the wait with false: no exception on the way out of every command
            while (await _timer.WaitForNextTickAsync())
            {
                try
                {
                    var refreshed = _info with { Refreshed = _repository.Context.Time.GetUtcNow() };
                    var newName = await Locks.WriteAsync(_repository, refreshed, _stop.Token);
                    var oldName = _name;
                    (_name, _info) = (newName, refreshed);
                    await _repository.Storage.DeleteAsync(oldName, _stop.Token);
                }
                catch (StorageException)
                {
                    // Try again at the next tick; the lock stays valid until it is stale.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped in the middle of a refresh
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _stop.CancelAsync();
        await _refresher;
        _stop.Dispose();
        try
        {
            await _repository.Storage.DeleteAsync(_name, CancellationToken.None);
        }
        catch (StorageException)
        {
            // Left behind, it becomes stale and 'unlock' removes it.
        }
    }
}
