using Lifeboat.Storage.Testing;

namespace Lifeboat.Storage.Tests;

public sealed class StorageProbeTests
{
    private readonly MisbehavingStorage _storage = new();

    [Fact]
    public async Task A_store_that_keeps_other_bytes_than_written_is_found_out_and_the_probe_object_is_removed()
    {
        _storage.AltersWritesOf = _ => true;

        var result = await StorageProbe.RunAsync(_storage, default);

        result.ReadsBackIntact.Should().BeFalse();
        result.RefusesOverwrite.Should().BeTrue();
        _storage.Inner.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_store_that_overwrites_is_found_out()
    {
        _storage.Overwrites = true;

        var result = await StorageProbe.RunAsync(_storage, default);

        result.Should().Be(new StorageProbeResult(ReadsBackIntact: true, RefusesOverwrite: false));
        _storage.Inner.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("probe/0123456789abcdef0123456789abcdef", true)]
    [InlineData("probe/0123456789ABCDEF0123456789abcdef", false)]
    [InlineData("probe/0123", false)]
    [InlineData("config", false)]
    [InlineData("keys/probe/0123456789abcdef0123456789abcdef", false)]
    public void Probe_objects_are_recognised_by_name(string name, bool expected) =>
        StorageProbe.IsProbeObject(name).Should().Be(expected);
}
