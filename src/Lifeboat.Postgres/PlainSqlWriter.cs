using System.Globalization;
using System.Text;

namespace Lifeboat.Postgres;

/// <summary>
/// Writes a capture as one plain SQL script for <c>psql -v ON_ERROR_STOP=1 -f</c> into an empty
/// database: the pre-data schema (pg_restore -f -), one <c>COPY ... FROM stdin;</c> block per
/// table with its data and <c>\.</c>, setval per sequence, large objects (lo_put in 256 KiB
/// pieces), then the post-data schema.
/// </summary>
public static class PlainSqlWriter
{
    private const int LargeObjectPiece = 256 * 1024;

    /// <summary>Writes the script to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(IStreamSource source, BackupManifest manifest, Stream output, string? pgBinDirectory, CancellationToken cancellationToken)
    {
        var tools = await PgToolset.FindAsync(manifest.ServerVersionNum / 10000, pgBinDirectory, cancellationToken);
        await using var archive = await SchemaArchive.ExtractAsync(source, manifest, cancellationToken);
        var platform = manifest.Options.Profile == SupabaseProfile.Name;
        await PgRestoreRunner.WriteScriptAsync(tools, archive, "pre-data", output, cancellationToken, skipExtensions: platform);

        // COPY streams were produced with client_encoding UTF8 (Npgsql's), whatever the database encoding
        await WriteAsync(output, "\n--\n-- Data (Lifeboat)\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n", cancellationToken);
        // Rows of platform tables first (the target has them, with their foreign keys), in manifest order.
        foreach (var table in manifest.DataOnlyTablesInLoadOrder().Concat(manifest.Tables.Where(t => t.Stream is not null && !t.DataOnly)))
        {
            await WriteAsync(output, $"COPY {table.QualifiedName}{Sql.ColumnList(table.Columns)} FROM stdin;\n", cancellationToken);
            await using var input = await source.OpenStreamAsync(table.Stream!, cancellationToken);
            await using var hashing = new HashingReadStream(input);
            await hashing.CopyToAsync(output, cancellationToken);
            if (hashing.BytesRead != table.Bytes || hashing.Sha256Hex() != table.Sha256)
                throw new BackupIntegrityException($"The data stream of {table.QualifiedName} ({table.Stream}) does not match the manifest: the backup is damaged.");
            await WriteAsync(output, "\\.\n\n", cancellationToken);
        }
        foreach (var s in manifest.Sequences)
        {
            var value = s.LastValue.ToString(CultureInfo.InvariantCulture);
            await WriteAsync(output, $"SELECT pg_catalog.setval({Sql.Literal(Sql.Qualify(s.Schema, s.Name))}, {value}, {(s.IsCalled ? "true" : "false")});\n", cancellationToken);
        }
        foreach (var lo in manifest.LargeObjects)
            await WriteLargeObjectAsync(source, lo, output, cancellationToken);
        await WriteAsync(output, "\n", cancellationToken);
        await PgRestoreRunner.WriteScriptAsync(tools, archive, "post-data", output, cancellationToken, skipExtensions: platform);
    }

    private static async Task WriteLargeObjectAsync(IStreamSource source, LargeObjectEntry lo, Stream output, CancellationToken cancellationToken)
    {
        var oid = lo.Oid.ToString(CultureInfo.InvariantCulture);
        await WriteAsync(output,
            $"SELECT pg_catalog.lo_create({oid}) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata WHERE oid = {oid});\n",
            cancellationToken);
        await using var input = await source.OpenStreamAsync(lo.Stream, cancellationToken);
        await using var hashing = new HashingReadStream(input);
        var buffer = new byte[LargeObjectPiece];
        long offset = 0;
        int n;
        while ((n = await PostgresRestore.ReadFullAsync(hashing, buffer, cancellationToken)) > 0)
        {
            var at = offset.ToString(CultureInfo.InvariantCulture);
            await WriteAsync(output, $"SELECT pg_catalog.lo_put({oid}, {at}, '\\x{Convert.ToHexStringLower(buffer, 0, n)}');\n", cancellationToken);
            offset += n;
        }
        if (hashing.BytesRead != lo.Bytes || hashing.Sha256Hex() != lo.Sha256)
            throw new BackupIntegrityException($"The stream of large object {oid} does not match the manifest: the backup is damaged.");
    }

    private static Task WriteAsync(Stream output, string text, CancellationToken cancellationToken)
        => output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();
}
