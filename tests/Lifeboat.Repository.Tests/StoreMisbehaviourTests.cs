using System.Text;
using Lifeboat.Repository.Audit;
using Lifeboat.Storage;
using Lifeboat.Storage.Testing;

namespace Lifeboat.Repository.Tests;

/// <summary>What the repository makes of a store that keeps other bytes than it was given, or denies reads.</summary>
public sealed class StoreMisbehaviourTests
{
    private readonly MisbehavingStorage _storage = new();

    [Fact]
    public async Task Init_on_a_store_that_alters_uploads_is_an_integrity_error_naming_the_object_and_leaves_nothing()
    {
        _storage.AltersWritesOf = _ => true;

        var init = () => TestRepository.InitAsync(_storage);

        var error = (await init.Should().ThrowAsync<IntegrityException>()).Which;
        error.ObjectName.Should().StartWith("keys/");
        error.Message.Should().Contain("returned other bytes").And.Contain("-o s3.checksum=when_required");
        _storage.Inner.Count.Should().Be(0, "what init wrote is removed again");
    }

    [Fact]
    public async Task Init_whose_config_alone_reads_back_altered_removes_the_key_and_the_config()
    {
        _storage.AltersWritesOf = name => name == BackupRepository.ConfigName;

        var init = () => TestRepository.InitAsync(_storage);

        (await init.Should().ThrowAsync<IntegrityException>()).Which.ObjectName.Should().Be(BackupRepository.ConfigName);
        _storage.Inner.Count.Should().Be(0);
    }

    [Fact]
    public async Task Init_removes_a_probe_object_a_crash_left_and_refuses_anything_else()
    {
        await _storage.WriteAsync(StorageProbe.Prefix + new string('a', 32), new byte[] { 1, 2, 3 }, CancellationToken.None);
        var other = new InMemoryStorage();
        await other.WriteAsync("probe/not-a-probe", new byte[] { 1 }, CancellationToken.None);

        await TestRepository.InitAsync(_storage);
        var refused = () => TestRepository.InitAsync(other);

        (await _storage.Inner.ListAsync(StorageProbe.Prefix, CancellationToken.None).CountAsync()).Should().Be(0);
        await refused.Should().ThrowAsync<RepositoryExistsException>().WithMessage("*probe/not-a-probe*");
    }

    [Fact]
    public async Task An_audit_record_that_reads_back_altered_is_an_integrity_error_not_other_processes_appending()
    {
        var repository = await TestRepository.InitAsync(_storage);
        _storage.AltersWritesOf = name => name.StartsWith(AuditLog.Prefix, StringComparison.Ordinal);
        var record = new AuditRecord { Operation = "backup", Status = AuditStatus.Ok, Started = DateTimeOffset.UnixEpoch, Finished = DateTimeOffset.UnixEpoch };

        var append = () => AuditLog.AppendAsync(repository, record, CancellationToken.None);

        var error = (await append.Should().ThrowAsync<IntegrityException>()).Which;
        error.ObjectName.Should().Be(AuditLog.ObjectName(1));
        error.Message.Should().Contain("-o s3.checksum=when_required").And.NotContain("kept appending");
        (await _storage.Inner.ListAsync(AuditLog.Prefix, CancellationToken.None).CountAsync()).Should().Be(1, "one attempt, not 64");
    }

    [Fact]
    public async Task A_repository_remembers_the_storage_settings_init_chose_and_one_made_without_them_opens_with_none()
    {
        var options = TestRepository.SmallOptions with { StorageSettings = new Dictionary<string, string> { ["s3.checksum"] = "when_required" } };
        await TestRepository.InitAsync(_storage, options);
        var plain = new InMemoryStorage();
        await TestRepository.InitAsync(plain);

        var (config, _) = await BackupRepository.ReadConfigAsync(_storage, CancellationToken.None);
        var (oldConfig, oldBytes) = await BackupRepository.ReadConfigAsync(plain, CancellationToken.None);

        config.Storage.Should().Equal(new Dictionary<string, string> { ["s3.checksum"] = "when_required" });
        oldConfig.Storage.Should().BeNull();
        Encoding.UTF8.GetString(oldBytes).Should().NotContain("storage", "a config without settings is byte for byte the old format");
        (await BackupRepository.OpenAsync(_storage, TestRepository.Password, RepositoryContext.Default, CancellationToken.None)).Config.Id.Should().Be(config.Id);
    }

    [Fact]
    public async Task A_pack_read_the_storage_denies_is_a_storage_error_not_damage()
    {
        var repository = await TestRepository.InitAsync(_storage);
        var record = await TestRepository.BackupAsync(repository, "data.bin", TestRepository.RandomBytes(200_000, 5));
        _storage.DeniesReadsOf = name => name.StartsWith("data/", StringComparison.Ordinal);

        var dump = () => TestRepository.DumpAsync(repository, record, "data.bin");

        var error = (await dump.Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.Permanent);
        error.Message.Should().Contain("denied");
    }

    [Fact]
    public async Task A_pack_shorter_than_its_index_says_is_damage()
    {
        var repository = await TestRepository.InitAsync(_storage);
        var record = await TestRepository.BackupAsync(repository, "data.bin", TestRepository.RandomBytes(200_000, 6));
        var pack = await _storage.Inner.ListAsync("data/", CancellationToken.None).FirstAsync();
        var bytes = await _storage.Inner.ReadAsync(pack.Name, 0, null, CancellationToken.None);
        await _storage.Inner.DeleteAsync(pack.Name, CancellationToken.None);
        await _storage.Inner.WriteAsync(pack.Name, bytes.AsMemory(0, 100), CancellationToken.None);

        var dump = () => TestRepository.DumpAsync(repository, record, "data.bin");

        (await dump.Should().ThrowAsync<IntegrityException>()).Which.Message.Should().Contain(pack.Name);
    }
}
