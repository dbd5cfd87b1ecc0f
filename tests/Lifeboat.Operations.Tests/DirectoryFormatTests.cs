using System.Text.Json.Nodes;
using Lifeboat.Operations.Directories;
using Lifeboat.Repository;
using Lifeboat.Repository.Directories;
using Lifeboat.Repository.Format;

namespace Lifeboat.Operations.Tests;

public sealed class DirectoryFormatTests
{
    [Theory]
    [InlineData("*.tmp", "config/cache/a.tmp", true)]
    [InlineData("*.tmp", "config/a.tmp.keep", false)]
    [InlineData("node_modules", "app/web/node_modules", true)]
    [InlineData("/srv/app/cache", "/srv/app/cache", true)]
    [InlineData("/srv/*/cache", "/srv/app/sub/cache", false)]
    [InlineData("/srv/**/cache", "/srv/app/sub/cache", true)]
    [InlineData("file?.txt", "d/file1.txt", true)]
    [InlineData("file[ab].txt", "d/fileb.txt", true)]
    [InlineData("file[!ab].txt", "d/fileb.txt", false)]
    [InlineData("config/", "config", true)]
    public void A_pattern_without_a_slash_matches_names_and_one_with_a_slash_whole_paths(string pattern, string path, bool matches) =>
        new PathGlob(pattern).IsMatch(path).Should().Be(matches);

    [Fact]
    public void A_directory_manifest_reads_back_what_was_written_field_for_field()
    {
        var manifest = new DirectoryManifest
        {
            Roots = ["/srv/app/config"],
            Excludes = ["*.tmp"],
            Entries =
            [
                new DirectoryEntry { Path = "config", Type = EntryType.Directory, Mode = 493, User = "root", Group = "root", MtimeSeconds = 1796612400 },
                new DirectoryEntry
                {
                    Path = "config/app.yaml", Type = EntryType.File, Mode = 420, Uid = 1000, Gid = 1001, MtimeSeconds = 1796612400, MtimeNanoseconds = 123456789,
                    Size = 2048, Inode = 1311, Device = (8UL << 32) | 1,
                },
                new DirectoryEntry { Path = "config/current", Type = EntryType.Symlink, Mode = 511, Target = "app.yaml" },
                new DirectoryEntry { Path = "config/tty", Type = EntryType.CharDevice, Mode = 438, Rdev = (5UL << 32) | 0 },
            ],
            Unreadable = [new DirectoryProblem("config/secret.key", "Permission denied")],
            UnchangedFiles = 1,
        };

        var read = DirectoryManifest.Of(Record(manifest.ToJson()));

        read.Roots.Should().Equal(manifest.Roots);
        read.Excludes.Should().Equal(manifest.Excludes);
        read.Entries.Should().Equal(manifest.Entries);
        read.Unreadable.Should().Equal(manifest.Unreadable);
        read.UnchangedFiles.Should().Be(1);
        manifest.ToJson()["entries"]![1]!.ToJsonString().Should().Be(
            """{"path":"config/app.yaml","type":"file","mode":420,"uid":1000,"gid":1001,"mtime":1796612400,"mtimeNs":123456789,"size":2048,"inode":1311,"device":34359738369}""");
    }

    [Fact]
    public void A_directory_manifest_of_an_unknown_format_or_entry_type_is_refused_not_misread()
    {
        var json = new DirectoryManifest { Roots = ["/a"], Entries = [new DirectoryEntry { Path = "a", Type = EntryType.Directory, Mode = 493 }] }.ToJson();
        var newer = json.DeepClone().AsObject();
        newer["format"] = "lifeboat directory v2";
        var odd = json.DeepClone().AsObject();
        odd["entries"]![0]!["type"] = "door";

        FluentActions.Invoking(() => DirectoryManifest.Of(Record(newer))).Should().Throw<IntegrityException>().WithMessage("*'lifeboat directory v2'*");
        FluentActions.Invoking(() => DirectoryManifest.Of(Record(odd))).Should().Throw<IntegrityException>().WithMessage("*'door'*");
    }

    private static SnapshotRecord Record(JsonObject manifest) => new(
        BlobId.HashOf([1]),
        new Snapshot
        {
            Time = DateTimeOffset.UnixEpoch, Host = "h", User = "u", Kind = DirectoryManifest.Kind, Source = "/srv/app/config", Streams = [],
            Manifest = manifest, Summary = new SnapshotSummary(0, 0, 0, 0, 0, 0, 0), Program = "test",
        });
}
