using System.Text;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Tests;

/// <summary>
/// Fixed keys and inputs give fixed outputs: a change to the format, the chunker, the KDF or the
/// sealing makes these fail, so a format change cannot slip in unnoticed. The stored artifacts
/// (key file, pack, index file) were produced by format v1 and must stay readable.
/// </summary>
public partial class KnownAnswerTests
{
    private const string KeyFileJson = @"{""version"":1,""kdf"":""argon2id"",""memoryKiB"":8192,""iterations"":1,""parallelism"":1,""salt"":""mFBO1/OMIkIoLQmU8QoBuQ=="",""sealedKey"":""JBkg8+Zk3iT4ZhvGKlEJ18Kg1ByTL2iX5gA4dsO+Oe0uG7dTRXFMTQNKlZ/p4MCGn6cYvf/jeKkckRpMo0kOr7qHwaj9qF5NViMezVxRKhCXg2WzsGnmvIorgU6fh09hx1g6E259kaO9sGOLYrpzkEWOismEwpLUNZSx6Q=="",""created"":""1970-01-01T00:00:00+00:00"",""host"":""host"",""user"":""user""}";
    private const string PackHex = "d8934cddea5b451d12fd3463ef4d0e94be6c87fbcadc7f3860d5d4c1d6c51b58791e222a029dd96efc1a6569dc4c471a5c8ff5c88d27331ba325533cd41930b464229a4fb0ef158facb8a125e7b1faa19369de9844cfa4b35dc13576c81b22c6b80d3c93277cc180e9d218e953ade267e488cfb74f30efb31c7c180f4b60a432963978d0e680b61e12826e70449e081b1c87681df3c933ddd2cb574026e509f13c3678523144c6aca4b492421c25dc29bf7987033883b0c9ec41f883a5f62c01393bcdf4c6ee831b8f26dde7fcacf8030164bc5b13e3e698940577d181000000";
    private const string PackId = "e6827901d7a94d884f997959a40d25e86cb426f29402a81f5d55c49d7c864ad3";
    private const string IndexHex = "3378d9884c991f6397c15a848717a9296462cd931de5c492190fb7bc89308f4daa818457c4490224dcbbdd985b14ae2e857fe8396d68a39a1de60d8ebd29332360bc63652d8100d32ae9d787be3b3442c64d77a9dcb2f3eb00411fda41c00ff06e711c1b9e888dc19581cd11b0ab28679f2d1e6c15978dfcae5ddf41f88236f79ed953c080859ed5860615dadbdeb6032d0dada99135bb5235f0f53ff5f1d7a71072872dea759562e1f3bbb5e3f9";

    // format v2: one data blob in the column layout (12 lines "i\tuser{i}@example.com\t2026-12-02\n"), zstd level 2
    private const string ColumnsPackHex = "b21b5c6710c54bd61f6d2dbe3d53dea6c8a77d4363fce3723a9d48a2bc8be28a59e6b8ef012fe4733640575554da778bf273f7e55ca83ad0021bc69ca5112b4160006d37c75b262989df7dfe617a19a22d75eaa87835660eea433d11c4a7d43ea1ca1f10bf3a753a0a9f22fb92e98b39c2e5c643554f00e2abaa5ad619d9e4ff26f1e1c3be99d0486bcd138f4de650a4637e082d17b4b62a11fe1b95fa83c5cdaa05ee0958032b7e7691221661c80d668bb0b9ebccf0325452f5b0ae5058693cf4012aef899562195844ace5a5008387122569c0ec30c1a31c6ef52cf4daa1837d0b507a6ca853000000";
    private const string ColumnsPackId = "db0279980e80b30e636194c26fe6a111a5e18e27dc1a42bbe4af0db030f6907b";

    private static readonly MasterKey Key = new(
        [.. Enumerable.Range(0, 32).Select(i => (byte)i)],
        [.. Enumerable.Range(32, 32).Select(i => (byte)i)]);

    private static readonly byte[] HelloText = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("hello lifeboat ", 100)));

    [Fact]
    public void Blob_ids_are_hmac_sha256_under_the_id_key()
    {
        Key.ComputeId("lifeboat"u8).ToString().Should().Be("380669295d8df6ed2943432cae891e07f63fcd034083dc2d052c9523483a87cb");
    }

    [Fact]
    public void The_chunker_cuts_fixed_input_at_fixed_places()
    {
        var chunker = new Chunker(new ChunkerParameters(16 * 1024, 64 * 1024, 256 * 1024), Key.DeriveIdSubKey("lifeboat chunker gear v1"));
        var data = Input(4 * 1024 * 1024);
        var lengths = new List<int>();
        for (var position = 0; position < data.Length;)
        {
            var length = chunker.NextBoundary(data.AsSpan(position));
            lengths.Add(length);
            position += length;
        }

        string.Join(",", lengths).Should().Be("71620,80607,65885,89073,44483,76589,24860,77654,45021,71879,112596,62875,71935,97210,83813,143609,71722,81980,62118,48929,58915,72693,78590,98528,24004,106019,100394,79684,90742,66535,73111,65687,105008,49749,121921,79333,85887,69025,53371,77094,68540,75753,101893,85409,84349,67685,80777,89672,23680,72019,71121,83714,75394,92343,66519,14688");
    }

    [Fact]
    public void A_stored_key_file_opens_with_its_password_and_yields_the_master_key()
    {
        var file = KeyFile.Parse(Encoding.UTF8.GetBytes(KeyFileJson));

        var unlocked = file.TryUnlock("kat password", "0123456789abcdef0123456789abcdef");

        unlocked.Should().NotBeNull();
        unlocked!.Value.Key.DataKey.Should().Equal(Key.DataKey);
        unlocked.Value.Key.IdKey.Should().Equal(Key.IdKey);
        file.TryUnlock("wrong password", "0123456789abcdef0123456789abcdef").Should().BeNull();
        file.TryUnlock("kat password", "another repository id").Should().BeNull();
    }

    [Fact]
    public void A_stored_pack_decodes_to_its_blobs()
    {
        var pack = Convert.FromHexString(PackHex);
        BlobId.HashOf(pack).ToString().Should().Be(PackId);
        var entries = Pack.DecodeHeader(pack, Key, "kat pack");
        entries.Should().HaveCount(2);
        entries[0].Compressed.Should().BeTrue();
        entries[1].Type.Should().Be(BlobType.Tree);
        var codec = new BlobCodec(Key, 3);
        codec.Open(entries[0], pack.AsSpan((int)entries[0].Offset, (int)entries[0].Length), "kat").Should().Equal(HelloText);
        codec.Open(entries[1], pack.AsSpan((int)entries[1].Offset, (int)entries[1].Length), "kat").Should().Equal(new byte[] { 1, 2, 3 });
    }

    [Fact]
    public void A_stored_version_2_pack_with_a_blob_in_columns_decodes_to_its_plaintext()
    {
        var pack = Convert.FromHexString(ColumnsPackHex);
        BlobId.HashOf(pack).ToString().Should().Be(ColumnsPackId);
        var entry = Pack.DecodeHeader(pack, Key, "kat pack").Single();
        entry.Encoding.Should().Be(BlobEncoding.Compressed | BlobEncoding.Columns);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 12).Select(i => $"{i}\tuser{i}@example.com\t2026-12-02\n")));
        // any codec reads it: whether a codec writes columns does not matter to reading
        new BlobCodec(Key, 3).Open(entry, pack.AsSpan((int)entry.Offset, (int)entry.Length), "kat").Should().Equal(text);
    }

    [Fact]
    public void A_stored_index_file_decodes_to_its_packs()
    {
        var packs = IndexFile.Decode(Convert.FromHexString(IndexHex), Key, "kat index");

        packs.Should().ContainSingle();
        packs[0].PackId.ToString().Should().Be(PackId);
        packs[0].Entries.Should().Equal(Pack.DecodeHeader(Convert.FromHexString(PackHex), Key, "kat pack"));
    }

    [Fact]
    public void Any_flipped_bit_in_a_pack_fails_authentication()
    {
        var pack = Convert.FromHexString(PackHex);
        var entries = Pack.DecodeHeader(pack, Key, "kat pack");
        var codec = new BlobCodec(Key, 3);
        for (var bit = 0; bit < (int)entries[0].Length * 8; bit += 97)
        {
            var damaged = pack.ToArray();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            var act = () => codec.Open(entries[0], damaged.AsSpan((int)entries[0].Offset, (int)entries[0].Length), "kat");
            act.Should().Throw<IntegrityException>();
        }
    }
}
