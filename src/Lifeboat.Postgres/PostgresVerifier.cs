using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>Rows, bytes, SHA-256 and order-independent row digest of one table's <c>COPY ... TO STDOUT</c> (text) output.</summary>
public sealed record TableChecksum(string Schema, string Name, long Rows, long Bytes, string Sha256, string RowsDigest)
{
    /// <summary>
    /// True when the table holds the captured rows: the same bytes (SHA-256), or the same rows in
    /// another physical order (same count and row digest; manifests written before the row digest
    /// existed can only be compared byte for byte).
    /// </summary>
    public bool Matches(TableEntry expected) =>
        Rows == expected.Rows && (Sha256 == expected.Sha256 || (expected.RowsDigest is { } digest && digest == RowsDigest));

    /// <summary>True when the rows match but come back in another order than captured.</summary>
    public bool Reordered(TableEntry expected) => Matches(expected) && Sha256 != expected.Sha256;
}

/// <summary>The outcome of <see cref="PostgresVerifier.VerifyAsync"/>.</summary>
/// <param name="Checked">Every table checked, with what the database holds now.</param>
/// <param name="Mismatches">One line per table whose rows or hash differ from the manifest (or which is missing).</param>
public sealed record VerificationResult(IReadOnlyList<TableChecksum> Checked, IReadOnlyList<string> Mismatches)
{
    /// <summary>Tables that hold the captured rows in another physical order (matched by row digest, not SHA-256).</summary>
    public IReadOnlyList<string> Reordered { get; init; } = [];

    /// <summary>True when every table matched.</summary>
    public bool Ok => Mismatches.Count == 0;
}

/// <summary>
/// Verification for restores and drills: per table, row count, SHA-256 and row digest of
/// <c>COPY table (columns) TO STDOUT</c>, all in one repeatable-read snapshot with
/// synchronize_seqscans off (so every scan starts at block 0). A table restored by one COPY FROM
/// into a fresh heap usually returns the captured bytes in the captured order, but not always:
/// with rows of varied size PostgreSQL can place a later row in room left on an earlier page. The
/// order-independent row digest (<see cref="RowDigest"/>) then proves the same rows came back.
/// </summary>
public static class PostgresVerifier
{
    /// <summary>Computes checksums of <paramref name="tables"/> (their <see cref="TableEntry.Columns"/> define the COPY column list).</summary>
    public static async Task<IReadOnlyList<TableChecksum>> ComputeChecksumsAsync(PgConnectionInfo database, IEnumerable<TableEntry> tables, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(database, cancellationToken);
        await CatalogReader.ExecuteAsync(connection,
            "SET row_security = off; SET synchronize_seqscans = off; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", cancellationToken);
        var result = new List<TableChecksum>();
        foreach (var table in tables)
            result.Add(await ChecksumAsync(connection, table, cancellationToken));
        await CatalogReader.ExecuteAsync(connection, "COMMIT", cancellationToken);
        return result;
    }

    /// <summary>
    /// The checksum of one table on a connection of its own, or the error PostgreSQL gave (e.g. the table
    /// cannot be read); failing to reach the server still throws.
    /// </summary>
    public static async Task<QueryOutcome<TableChecksum>> TryComputeChecksumAsync(PgConnectionInfo database, TableEntry table, CancellationToken cancellationToken)
    {
        try
        {
            return new((await ComputeChecksumsAsync(database, [table], cancellationToken))[0], null);
        }
        catch (PostgresException e)
        {
            return QueryOutcome<TableChecksum>.Failed(e.MessageText);
        }
    }

    /// <summary>Compares every captured table of <paramref name="manifest"/> with <paramref name="database"/>.</summary>
    public static async Task<VerificationResult> VerifyAsync(PgConnectionInfo database, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var expected = manifest.Tables.Where(t => t.Stream is not null).ToList();
        await using var connection = await PgErrors.OpenAsync(database, cancellationToken);
        await CatalogReader.ExecuteAsync(connection,
            "SET row_security = off; SET synchronize_seqscans = off; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", cancellationToken);
        var checkedTables = new List<TableChecksum>();
        var mismatches = new List<string>();
        var reordered = new List<string>();
        foreach (var table in expected)
        {
            await CatalogReader.ExecuteAsync(connection, "SAVEPOINT verify", cancellationToken);
            TableChecksum actual;
            try
            {
                actual = await ChecksumAsync(connection, table, cancellationToken);
                await CatalogReader.ExecuteAsync(connection, "RELEASE SAVEPOINT verify", cancellationToken);
            }
            catch (PostgresException ex)
            {
                await CatalogReader.ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT verify", cancellationToken);
                mismatches.Add($"{table.QualifiedName}: cannot be read ({ex.MessageText})");
                continue;
            }
            checkedTables.Add(actual);
            if (actual.Reordered(table))
                reordered.Add(table.QualifiedName);
            if (!actual.Matches(table))
                mismatches.Add($"{table.QualifiedName}: expected {table.Rows} rows sha256 {table.Sha256} (rows digest {table.RowsDigest ?? "not recorded"}), " +
                    $"found {actual.Rows} rows sha256 {actual.Sha256} (rows digest {actual.RowsDigest})");
        }
        await CatalogReader.ExecuteAsync(connection, "COMMIT", cancellationToken);
        return new VerificationResult(checkedTables, mismatches) { Reordered = reordered };
    }

    private static async Task<TableChecksum> ChecksumAsync(NpgsqlConnection connection, TableEntry table, CancellationToken cancellationToken)
    {
        using var reader = await connection.BeginTextExportAsync($"COPY {table.QualifiedName}{Sql.ColumnList(table.Columns)} TO STDOUT", cancellationToken);
        await using var hashing = new HashingReadStream(reader.BaseStream, rowDigest: true);
        await hashing.DrainAsync(cancellationToken);
        return new TableChecksum(table.Schema, table.Name, hashing.Newlines, hashing.BytesRead, hashing.Sha256Hex(), hashing.RowsDigest);
    }
}
