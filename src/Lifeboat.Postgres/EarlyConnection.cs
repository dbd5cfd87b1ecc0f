using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// A connection to a restore's target database opened ahead of time, while the repository's key is
/// derived (Argon2id, a few hundred milliseconds on one core): the restore takes it
/// (<see cref="TakeAsync"/>), or disposing this closes it. A failure to connect surfaces where the
/// restore takes the connection, so errors come in the same order as without it. The target's
/// emptiness is checked on it at once (<see cref="OpenedTarget.UserObjects"/>).
/// </summary>
public sealed class EarlyConnection : IAsyncDisposable
{
    private Task<OpenedTarget>? _opening;

    private EarlyConnection(Task<OpenedTarget> opening) => _opening = opening;

    /// <summary>Starts opening a connection to <paramref name="target"/>.</summary>
    public static EarlyConnection Open(PgConnectionInfo target, CancellationToken cancellationToken) =>
        new(Task.Run(() => OpenWarmAsync(target, cancellationToken), cancellationToken));

    private static async Task<OpenedTarget> OpenWarmAsync(PgConnectionInfo target, CancellationToken cancellationToken)
    {
        var connection = await PgErrors.OpenAsync(target, cancellationToken);
        try
        {
            return new OpenedTarget(connection, await TargetDatabase.ListUserObjectsAsync(connection, platform: false, cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The opened connection, now owned by the caller; throws what opening it threw.</summary>
    public Task<OpenedTarget> TakeAsync() =>
        Interlocked.Exchange(ref _opening, null) ?? throw new InvalidOperationException("the early connection was taken already");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _opening, null) is not { } opening)
        {
            return;
        }

        try
        {
            await (await opening).Connection.DisposeAsync();
        }
        catch (Exception)
        {
            // nobody took it: whatever failed is reported by the step that did fail, or is moot
        }
    }
}

/// <param name="Connection">The open connection, owned by whoever took it.</param>
/// <param name="UserObjects">What the target held when it was opened (<see cref="TargetDatabase.ListUserObjectsAsync"/>, all schemas).</param>
public sealed record OpenedTarget(NpgsqlConnection Connection, IReadOnlyList<string> UserObjects);
