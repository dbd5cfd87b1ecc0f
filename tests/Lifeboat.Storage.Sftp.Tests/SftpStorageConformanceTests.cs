using Lifeboat.Storage.Tests;

namespace Lifeboat.Storage.Sftp.Tests;

/// <summary>The shared conformance suite against a real OpenSSH sshd (internal-sftp).</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpStorageConformanceTests(SshdFixture fixture) : StorageConformanceTests
{
    protected override int ManyObjectsCount => 400;

    protected override Task<IStorage> CreateStorageAsync() => Task.FromResult<IStorage>(new SftpStorage(fixture.Options()));
}
