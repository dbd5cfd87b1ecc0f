using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lifeboat.Postgres.Subjects;
using Lifeboat.Repository;

namespace Lifeboat.Operations.Subjects;

/// <summary>The formats of subject export.</summary>
public enum SubjectFormat
{
    /// <summary>One JSON document: tables to arrays of rows as objects (see docs/cli.md).</summary>
    Json,

    /// <summary>INSERT statements in foreign-key order, in one transaction.</summary>
    Sql,

    /// <summary>A zip of one CSV file (with a header line) per table.</summary>
    Csv,
}

/// <summary>Where and how subject export writes.</summary>
/// <param name="Output">The file written (whole or not at all: a temporary name, renamed when complete).</param>
/// <param name="Format">json, sql or csv.</param>
/// <param name="Force">Replace an existing file.</param>
public sealed record SubjectExportRequest(string Output, SubjectFormat Format, bool Force);

/// <summary>What subject export wrote.</summary>
public sealed record SubjectExportResult(SubjectFound Found, string Output, SubjectFormat Format, long BytesWritten);

/// <summary>Exports a subject's rows (see <see cref="SubjectSearch"/>) to one file.</summary>
public sealed class SubjectExport(IRepositoryOpener opener)
{
    /// <summary>Finds the subject and writes its rows.</summary>
    /// <exception cref="InvalidRequestException">The output exists (without force) or its directory does not.</exception>
    public async Task<SubjectExportResult> RunAsync(SubjectRequest request, SubjectExportRequest export, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(export.Output);
        if (!export.Force && (File.Exists(output) || Directory.Exists(output)))
            throw new InvalidRequestException($"{export.Output} exists: pass --force to replace it");
        if (!Directory.Exists(Path.GetDirectoryName(output)))
            throw new InvalidRequestException($"the directory of {export.Output} does not exist");
        return await new SubjectSearch(opener).RunAsync(request, "subject export",
            (found, rows, ct) => WriteAsync(found, rows, output, export, ct), r => r.Found,
            r => new Dictionary<string, string> { ["format"] = r.Format.ToString().ToLowerInvariant(), ["bytesWritten"] = r.BytesWritten.ToString(CultureInfo.InvariantCulture) },
            cancellationToken);
    }

    private static async Task<SubjectExportResult> WriteAsync(SubjectFound found, SubjectRows rows, string output, SubjectExportRequest export, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // it holds a person's data
            await using (var file = new FileStream(temporary, options))
            {
                switch (export.Format)
                {
                    case SubjectFormat.Json:
                        await WriteJsonAsync(found, rows, file, cancellationToken);
                        break;
                    case SubjectFormat.Sql:
                        await WriteSqlAsync(found, rows, file, cancellationToken);
                        break;
                    default:
                        await WriteCsvAsync(found, rows, file, cancellationToken);
                        break;
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            var bytes = new FileInfo(temporary).Length;
            File.Move(temporary, output, overwrite: export.Force);
            return new SubjectExportResult(found, output, export.Format, bytes);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// <c>{"snapshot", "snapshotTime", "database", "root", "tables": {"schema.table": [{column: value, ...}, ...]}}</c>; values as
    /// PostgreSQL's to_json renders them (numbers, booleans, null, json and jsonb as JSON, timestamps in ISO 8601), bytea as base64.
    /// </summary>
    private static async Task WriteJsonAsync(SubjectFound found, SubjectRows rows, Stream output, CancellationToken cancellationToken)
    {
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("snapshot", found.Snapshot);
        json.WriteString("snapshotTime", found.SnapshotTime);
        json.WriteString("database", found.Database);
        json.WriteString("root", found.Root);
        json.WriteStartObject("tables");
        foreach (var table in found.Tables.Where(t => t.Rows > 0))
        {
            json.WriteStartArray(table.Table);
            await foreach (var row in rows.JsonRowsAsync(table, cancellationToken))
            {
                json.WriteRawValue(row, skipInputValidation: false);
                if (json.BytesPending > 64 * 1024)
                    await json.FlushAsync(cancellationToken);
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static async Task WriteSqlAsync(SubjectFound found, SubjectRows rows, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        await writer.WriteLineAsync($"-- Lifeboat subject export: {found.Rows.ToString(CultureInfo.InvariantCulture)} row(s) reached from {found.Root}, snapshot {found.Snapshot} of {found.Database}");
        await writer.WriteLineAsync("-- parents before the rows that reference them; load into a database with the schema");
        await writer.WriteLineAsync("BEGIN;");
        foreach (var table in found.Tables.Where(t => t.Rows > 0))
        {
            await writer.WriteLineAsync($"-- {table.Table}: {table.Rows.ToString(CultureInfo.InvariantCulture)} row(s)");
            foreach (var statement in await rows.InsertStatementsAsync(table, cancellationToken))
                await writer.WriteLineAsync(statement.AsMemory(), cancellationToken);
        }
        await writer.WriteLineAsync("COMMIT;");
    }

    /// <summary>A zip with <c>schema.table.csv</c> per table holding rows (COPY's CSV with a header line), in foreign-key order.</summary>
    private static async Task WriteCsvAsync(SubjectFound found, SubjectRows rows, Stream output, CancellationToken cancellationToken)
    {
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var table in found.Tables.Where(t => t.Rows > 0))
        {
            var entry = zip.CreateEntry(table.Table + ".csv", CompressionLevel.Optimal);
            await using var stream = await entry.OpenAsync(cancellationToken);
            await rows.CopyCsvAsync(table, stream, cancellationToken);
        }
    }
}
