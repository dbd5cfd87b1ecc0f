using Microsoft.Data.Sqlite;

namespace Lifeboat.Agent.Journal;

/// <summary>
/// The journal's schema, versioned with SQLite's <c>user_version</c>: each entry of <see cref="Migrations"/> takes the
/// file from version <c>i</c> to <c>i + 1</c>, in one transaction. A file of a newer version is refused, not altered.
/// </summary>
internal static class JournalSchema
{
    /// <summary>The migrations, in order; the count is <see cref="RunJournal.SchemaVersion"/>.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            plan TEXT NOT NULL,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            result TEXT NOT NULL,
            error TEXT
        );
        CREATE INDEX runs_by_plan ON runs (plan, kind, id);
        CREATE INDEX runs_running ON runs (result) WHERE result = 'running';
        CREATE TABLE run_figures (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE alerts (
            key TEXT PRIMARY KEY,
            plan TEXT NOT NULL,
            condition TEXT NOT NULL,
            status TEXT NOT NULL,
            since TEXT NOT NULL,
            last_notified_at TEXT NOT NULL,
            reminders INTEGER NOT NULL,
            detail TEXT
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            at TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            succeeded INTEGER NOT NULL,
            error TEXT
        );
        """,
        """
        CREATE TABLE slots (
            key TEXT PRIMARY KEY,
            slot TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        """,
        """
        ALTER TABLE runs ADD COLUMN origin TEXT;
        """,
    ];

    /// <summary>Brings the open file at <paramref name="path"/> to <see cref="RunJournal.SchemaVersion"/>.</summary>
    public static async Task MigrateAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", cancellationToken);
        var version = await VersionAsync(connection, cancellationToken);
        if (version > Migrations.Length)
        {
            throw new JournalException(
                $"The journal {path} has schema version {version}, newer than this Lifeboat's {Migrations.Length}: " +
                "run the newer Lifeboat, or move the file away (no backup is lost with it).");
        }

        for (var next = version; next < Migrations.Length; next++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, Migrations[next], cancellationToken);
            await ExecuteAsync(connection, $"PRAGMA user_version = {next + 1}", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>The file's schema version (0 for a new file).</summary>
    public static async Task<long> VersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
