namespace Lifeboat.Postgres;

/// <summary>
/// The schema archive (pg_dump -Fc) copied to a private temporary file: pg_restore needs a
/// seekable file for parallel (-j) restore. Small (schema only); deleted on dispose.
/// </summary>
internal sealed class SchemaArchive : IAsyncDisposable
{
    private readonly string _directory;

    private SchemaArchive(string directory, string path)
    {
        _directory = directory;
        Path = path;
    }

    public string Path { get; }

    public static async Task<SchemaArchive> ExtractAsync(IStreamSource source, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("lifeboat-schema-").FullName;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = System.IO.Path.Combine(dir, "schema.pgdump");
        var archive = new SchemaArchive(dir, path);
        try
        {
            await using var input = await source.OpenStreamAsync(manifest.Schema.Stream, cancellationToken);
            await using var hashing = new HashingReadStream(input);
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var output = new FileStream(path, fileOptions))
                await hashing.CopyToAsync(output, cancellationToken);
            if (hashing.BytesRead != manifest.Schema.Bytes || hashing.Sha256Hex() != manifest.Schema.Sha256)
                throw new BackupIntegrityException($"The schema stream {manifest.Schema.Stream} does not match the manifest (size or SHA-256): the backup is damaged.");
            return archive;
        }
        catch
        {
            await archive.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
