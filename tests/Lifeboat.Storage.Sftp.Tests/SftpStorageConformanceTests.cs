using Lifeboat.Storage.Tests;

namespace Lifeboat.Storage.Sftp.Tests;

/// <summary>The shared conformance suite against a real OpenSSH sshd (internal-sftp).</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpStorageConformanceTests(SshdFixture fixture) : StorageConformanceTests
{
    protected override int ManyObjectsCount => 400;

    private SftpStorageOptions? _options;

    protected override Task<IStorage> CreateStorageAsync()
    {
        _options = fixture.Options();
        return Task.FromResult<IStorage>(new SftpStorage(_options));
    }

    /// <summary>A killed upload: its temporary file, in the target directory (the sshd serves a local directory).</summary>
    protected override async Task<bool> LeaveInterruptedWriteAsync(string name)
    {
        var directory = Path.Combine(_options!.Path, Path.GetDirectoryName(name)!);
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, SftpStorage.TemporaryFilePrefix + "killed"), RandomBytes(10));
        return true;
    }
}
