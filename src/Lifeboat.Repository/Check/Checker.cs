using System.Collections.Concurrent;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Evidence;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Check;

/// <summary>
/// Verifies a repository without trusting it: every key, index and snapshot object against its
/// name (SHA-256) and authentication tag; the audit log's hash chain and every evidence report,
/// also against each other; every blob each snapshot needs is indexed and its pack exists with
/// the expected size; with read-data, every byte of the chosen packs is downloaded, hashed, and
/// every blob decrypted and checked against its id.
/// </summary>
/// <param name="progress">Told of the packs read (with read-data), on the thread that read.</param>
public sealed class Checker(BackupRepository repository, IProgress<CheckProgress>? progress = null)
{
    private long _bytesRead;
    private int _packsRead;
    private int _packsToRead;

    /// <summary>Checks; problems are in the report, never thrown (but cancellation and an unreadable repository are).</summary>
    public async Task<CheckReport> RunAsync(CheckOptions options, CancellationToken cancellationToken)
    {
        var report = new CheckReport();
        await CheckKeysAsync(report, cancellationToken);
        var index = await LoadIndexAsync(report, cancellationToken);
        var damagedSnapshots = new List<IntegrityException>();
        var snapshots = await SnapshotStore.LoadAllAsync(repository, damagedSnapshots, cancellationToken);
        report.Snapshots = snapshots.Count + damagedSnapshots.Count;
        foreach (var damaged in damagedSnapshots)
        {
            report.Problems.Add(new CheckProblem(damaged.ObjectName ?? SnapshotStore.Prefix, damaged.Message, []));
        }

        await CheckAuditAndEvidenceAsync(report, snapshots, cancellationToken);
        var reader = new BlobReader(repository, index);
        var usage = await CheckSnapshotsAsync(report, reader, snapshots, cancellationToken);
        var badPacks = await CheckPacksAsync(report, index, cancellationToken);
        if (options.ReadDataPercent > 0 || options.Subset is not null)
        {
            badPacks.UnionWith(await ReadPacksAsync(report, index, options, cancellationToken));
        }

        foreach (var pack in badPacks)
        {
            var affected = AffectedBy(index, pack, usage);
            var existing = report.Problems.FindIndex(p => p.Object == Pack.ObjectName(pack));
            if (existing >= 0)
            {
                report.Problems[existing] = report.Problems[existing] with { AffectedSnapshots = affected };
            }
        }

        report.PacksRead = Volatile.Read(ref _packsRead);
        report.BytesRead = Interlocked.Read(ref _bytesRead);
        return report;
    }

    private async Task CheckKeysAsync(CheckReport report, CancellationToken cancellationToken)
    {
        var damaged = new List<string>();
        await foreach (var info in repository.Storage.ListAsync(KeyRing.Prefix, cancellationToken))
        {
            await KeyRing.TryReadAsync(repository.Storage, info.Name, damaged, cancellationToken);
        }

        foreach (var name in damaged)
        {
            report.Problems.Add(new CheckProblem(name, $"key file '{name}' is damaged: its content does not match its name; the password it held no longer opens the repository", []));
        }
    }

    private async Task<MasterIndex> LoadIndexAsync(CheckReport report, CancellationToken cancellationToken)
    {
        var index = new MasterIndex();
        await foreach (var info in repository.Storage.ListAsync("index/", cancellationToken))
        {
            report.IndexFiles++;
            try
            {
                var bytes = await repository.ReadHashedObjectAsync(info.Name, cancellationToken);
                foreach (var pack in IndexFile.Decode(bytes, repository.Key, $"index file '{info.Name}'"))
                {
                    index.Add(pack);
                }
            }
            catch (IntegrityException e)
            {
                report.Problems.Add(new CheckProblem(info.Name, e.Message, []));
            }
        }

        return index;
    }

    /// <summary>Reads every snapshot's trees; returns, per snapshot, the set of blobs it needs.</summary>
    private async Task<Dictionary<string, HashSet<BlobId>>> CheckSnapshotsAsync(
        CheckReport report, BlobReader reader, List<SnapshotRecord> snapshots, CancellationToken cancellationToken)
    {
        var usage = new Dictionary<string, HashSet<BlobId>>();
        var allBlobs = new HashSet<BlobId>();
        foreach (var record in snapshots)
        {
            var needed = new HashSet<BlobId>();
            usage[record.ShortId] = needed;
            foreach (var stream in record.Snapshot.Streams)
            {
                foreach (var tree in stream.Trees)
                {
                    var treeId = BlobId.Parse(tree);
                    needed.Add(treeId);
                    try
                    {
                        var chunks = TreeBlob.Decode(await reader.ReadAsync(treeId, cancellationToken), $"tree blob {treeId.Short}");
                        needed.UnionWith(chunks.Select(c => c.Id));
                        var missing = chunks.Where(c => !reader.Index.Contains(c.Id)).ToList();
                        if (missing.Count > 0)
                        {
                            report.Problems.Add(new CheckProblem(
                                $"blob {missing[0].Id}",
                                $"{missing.Count} chunk(s) of stream '{stream.Name}' are in no index (missing data), first {missing[0].Id.Short}",
                                [record.ShortId]));
                        }
                    }
                    catch (IntegrityException e)
                    {
                        report.Problems.Add(new CheckProblem($"blob {treeId}", $"stream '{stream.Name}': {e.Message}", [record.ShortId]));
                    }
                }
            }

            allBlobs.UnionWith(needed);
        }

        report.BlobsReferenced = allBlobs.Count;
        return usage;
    }

    private async Task<HashSet<BlobId>> CheckPacksAsync(CheckReport report, MasterIndex index, CancellationToken cancellationToken)
    {
        var bad = new HashSet<BlobId>();
        var stored = new Dictionary<BlobId, long>();
        await foreach (var info in repository.Storage.ListAsync("data/", cancellationToken))
        {
            if (BlobId.TryParse(info.Name[(info.Name.LastIndexOf('/') + 1)..], out var id) && info.Name == Pack.ObjectName(id))
            {
                stored[id] = info.Size;
            }
            else
            {
                report.Notes.Add($"'{info.Name}' is not a pack name; it is ignored");
            }
        }

        report.Packs = stored.Count;
        foreach (var (packId, entries) in index.EntriesByPack())
        {
            var name = Pack.ObjectName(packId);
            if (!stored.TryGetValue(packId, out var size))
            {
                bad.Add(packId);
                report.Problems.Add(new CheckProblem(name, $"pack '{name}' is listed in the index but missing from storage", []));
            }
            else if (size != ExpectedPackSize(entries))
            {
                bad.Add(packId);
                report.Problems.Add(new CheckProblem(name, $"pack '{name}' has {size} bytes, the index implies {ExpectedPackSize(entries)}", []));
            }
        }

        var unreferenced = stored.Keys.Count(p => !index.ContainsPack(p));
        report.UnreferencedPacks = unreferenced;
        if (unreferenced > 0)
        {
            report.Notes.Add($"{unreferenced} pack(s) are in no index (left by an interrupted backup or prune): harmless, 'lifeboat prune' removes them");
        }

        return bad;
    }

    private async Task<HashSet<BlobId>> ReadPacksAsync(CheckReport report, MasterIndex index, CheckOptions options, CancellationToken cancellationToken)
    {
        var byPack = index.EntriesByPack();
        var packs = byPack.Keys.ToList();
        var percent = options.ReadDataPercent;
        if (options.Subset is (var part, var of))
        {
            if (of < 1 || part < 1 || part > of)
            {
                throw new InvalidRequestException($"read-data subset {part}/{of}: the part must be between 1 and the number of parts");
            }

            // ids are uniformly distributed hashes: the packs of part K of N are those whose first 8 bytes leave K - 1
            packs = [.. packs.Where(pack => pack.A % (ulong)of == (ulong)(part - 1))];
        }
        else if (percent < 100)
        {
            var count = (int)Math.Ceiling(packs.Count * percent / 100.0);
            packs = [.. packs.OrderBy(_ => Random.Shared.Next()).Take(count)];
        }

        _packsToRead = packs.Count;
        Report();
        var bad = new ConcurrentDictionary<BlobId, string>();
        await Parallel.ForEachAsync(
            packs,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = cancellationToken },
            async (packId, ct) =>
            {
                var name = Pack.ObjectName(packId);
                try
                {
                    var bytes = await repository.Storage.ReadAsync(name, 0, null, ct);
                    Interlocked.Add(ref _bytesRead, bytes.Length);
                    VerifyPack(packId, bytes, byPack[packId], name);
                }
                catch (IntegrityException e)
                {
                    bad[packId] = e.Message;
                }
                catch (StorageException e) when (e.Kind is StorageErrorKind.NotFound)
                {
                    // Reported by the structure check already.
                }

                Interlocked.Increment(ref _packsRead);
                Report();
            });
        foreach (var (packId, message) in bad)
        {
            var name = Pack.ObjectName(packId);
            if (!report.Problems.Any(p => p.Object == name))
            {
                report.Problems.Add(new CheckProblem(name, message, []));
            }
        }

        return [.. bad.Keys];
    }

    private void VerifyPack(BlobId packId, byte[] bytes, List<PackEntry> indexed, string name)
    {
        if (BlobId.HashOf(bytes) != packId)
        {
            throw new IntegrityException($"pack '{name}' is damaged: its content does not match its name (SHA-256)");
        }

        var header = Pack.DecodeHeader(bytes, repository.Key, $"pack '{name}'");
        var headerIds = header.ToDictionary(e => e.Id);
        foreach (var entry in indexed)
        {
            if (!headerIds.TryGetValue(entry.Id, out var inHeader) || inHeader != entry)
            {
                throw new IntegrityException($"pack '{name}' does not hold blob {entry.Id.Short} where the index says");
            }
        }

        foreach (var entry in header)
        {
            repository.Codec.Verify(entry, bytes.AsSpan((int)entry.Offset, (int)entry.Length), $"pack '{name}'");
        }
    }

    internal static long ExpectedPackSize(IReadOnlyCollection<PackEntry> entries) =>
        entries.Sum(e => (long)e.Length) + Crypto.Sealer.Overhead + 4 + 1 + 4 + ((long)entries.Count * PackEntry.EncodedSize) + 4;

    private static List<string> AffectedBy(MasterIndex index, BlobId packId, Dictionary<string, HashSet<BlobId>> usage)
    {
        var affected = new List<string>();
        foreach (var (snapshot, blobs) in usage)
        {
            if (blobs.Any(b => index.TryGet(b, out var location) && index.PackOf(location) == packId))
            {
                affected.Add(snapshot);
            }
        }

        return affected;
    }

    /// <summary>
    /// The proof objects: the audit log's hash chain (as <c>audit --verify</c>), every evidence report
    /// (against its name, tag and the SHA-256 of its body), and the two against each other: every
    /// evidence report an audit record names exists and has the SHA-256 the record gives. The log is
    /// read first: operations save their evidence before appending their record, so a record read
    /// here never names a report that a running operation has yet to write.
    /// </summary>
    private async Task CheckAuditAndEvidenceAsync(CheckReport report, List<SnapshotRecord> snapshots, CancellationToken cancellationToken)
    {
        var audit = await AuditLog.VerifyAsync(repository, snapshots, cancellationToken);
        report.AuditRecords = audit.Records;
        report.Problems.AddRange(audit.Problems.Select(p => new CheckProblem(p.Object, $"audit log: {p.Message}", [])));
        AddNotes(report, "audit log", audit.Warnings);

        var damaged = new List<IntegrityException>();
        var evidence = await EvidenceStore.LoadAllAsync(repository, damaged, cancellationToken);
        report.EvidenceReports = evidence.Count + damaged.Count;
        report.Problems.AddRange(damaged.Select(e => new CheckProblem(e.ObjectName ?? EvidenceStore.Prefix, e.Message, [])));
        var stored = evidence.ToDictionary(e => e.Id.ToString(), StringComparer.Ordinal);
        var unreadable = damaged.Select(e => e.ObjectName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in audit.Entries.Select(e => e.Record).Where(r => r.Evidence is not null))
        {
            var name = EvidenceStore.Prefix + record.Evidence;
            var by = $"audit record {record.Sequence} ({record.Operation}, {record.Finished.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)";
            named.Add(record.Evidence!);
            if (stored.TryGetValue(record.Evidence!, out var entry))
            {
                if (record.Checksum is { } recorded && recorded != entry.Envelope.Sha256)
                {
                    report.Problems.Add(new CheckProblem(name,
                        $"evidence '{name}' holds a report with SHA-256 {entry.Envelope.Sha256}, but {by} recorded {recorded}: the report or the record was replaced", []));
                }
            }
            else if (!unreadable.Contains(name))
            {
                report.Problems.Add(new CheckProblem(name, $"evidence '{name}', named by {by}, is missing: it was deleted or renamed", []));
            }
        }

        AddNotes(report, "evidence", [.. evidence.Where(e => !named.Contains(e.Id.ToString())).Select(e =>
            $"report {e.ShortId} ({e.Envelope.Kind}, {e.Envelope.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC) is in no audit record: its operation could not append one, or the log's newest records were deleted")]);
    }

    /// <summary>Adds findings as notes, at most a few of one kind (a repository filled without the audit log has many).</summary>
    private static void AddNotes(CheckReport report, string what, IReadOnlyList<string> notes)
    {
        const int Most = 3;
        report.Notes.AddRange(notes.Take(Most).Select(n => $"{what}: {n}"));
        if (notes.Count > Most)
        {
            report.Notes.Add($"{what}: {notes.Count - Most} more like these");
        }
    }

    private void Report() =>
        progress?.Report(new CheckProgress(Volatile.Read(ref _packsRead), Volatile.Read(ref _packsToRead), Interlocked.Read(ref _bytesRead)));
}

/// <summary>How far a check's read of the data is: packs read of those chosen, and their bytes.</summary>
public sealed record CheckProgress(int PacksRead, int PacksToRead, long BytesRead);
