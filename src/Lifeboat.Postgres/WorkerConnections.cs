using System.Collections.Concurrent;
using System.Data;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// The connections a restore's parallel steps (table loads, index builds) run on. They are opened in
/// the background once the target has been checked, so the first COPY does not wait for them after
/// pre-data, and a step hands its connections to the next one: a connection to a remote server costs
/// a TLS handshake and an authentication exchange, a few round trips each.
/// </summary>
internal sealed class WorkerConnections(PgConnectionInfo target) : IAsyncDisposable
{
    private readonly ConcurrentBag<NpgsqlConnection> _idle = [];
    private readonly ConcurrentQueue<Task<NpgsqlConnection>> _ahead = new();

    /// <summary>Starts opening <paramref name="count"/> connections, which <see cref="RentAsync"/> hands out first.</summary>
    public void OpenAhead(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
            _ahead.Enqueue(Task.Run(() => PgErrors.OpenAsync(target, cancellationToken), cancellationToken));
    }

    /// <summary>An idle connection, else one opened ahead (throwing what opening it threw), else a new one.</summary>
    public async Task<NpgsqlConnection> RentAsync(CancellationToken cancellationToken)
    {
        if (_idle.TryTake(out var idle))
            return idle;
        if (_ahead.TryDequeue(out var ahead))
            return await ahead;
        return await PgErrors.OpenAsync(target, cancellationToken);
    }

    /// <summary>Gives back a connection whose work completed; one that is not idle and open is closed instead.</summary>
    public async ValueTask ReturnAsync(NpgsqlConnection connection)
    {
        if (connection.FullState == ConnectionState.Open)
            _idle.Add(connection);
        else
            await connection.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var idle))
            await idle.DisposeAsync();
        while (_ahead.TryDequeue(out var ahead))
        {
            try
            {
                await (await ahead).DisposeAsync();
            }
            catch (Exception)
            {
                // never used: the restore reports its own failure, or did not need this connection
            }
        }
    }
}
