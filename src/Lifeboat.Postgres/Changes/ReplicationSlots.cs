using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>A logical replication slot of the source's database as <c>pg_replication_slots</c> shows it.</summary>
/// <param name="Name">The slot.</param>
/// <param name="Active">Whether a session streams from it now.</param>
/// <param name="WalStatus"><c>reserved</c>, <c>extended</c>, <c>unreserved</c> or <c>lost</c>.</param>
public sealed record ReplicationSlotState(string Name, bool Active, string? WalStatus);

/// <summary>The slot SQL of <c>follow</c>: whether a slot is there, and dropping it with its publication.</summary>
public static class ReplicationSlots
{
    /// <summary>The slot of that name in the source's database, or null when there is none.</summary>
    public static async Task<ReplicationSlotState?> FindAsync(PgConnectionInfo source, string slot, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(source, cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT active, wal_status FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND database = current_database()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slot });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ReplicationSlotState(slot, reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>Drops the slot and the publication (when there); waits for a follower that just stopped to let go of the slot.</summary>
    public static Task DropAsync(PgConnectionInfo source, string slot, string publication, CancellationToken cancellationToken) =>
        ChangeCapture.DropAsync(source, slot, publication, cancellationToken);
}
