using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Audit;

/// <summary>
/// The append-only, hash-chained, encrypted audit log. Record <c>n</c> is the object
/// <c>audit/&lt;n as 12 digits&gt;</c>; it holds <c>n</c> and the SHA-256 of the stored bytes of
/// record <c>n - 1</c>. Appending takes the next free number with the storage's no-overwrite write:
/// of two concurrent appenders one wins, the other re-reads the head and retries, so the chain
/// stays linear. Deleting, reordering or editing any record but the last breaks the chain in a way
/// <see cref="VerifyAsync(BackupRepository, CancellationToken)"/> names precisely.
/// </summary>
public static class AuditLog
{
    /// <summary>Where audit records live.</summary>
    public const string Prefix = "audit/";

    private const int Digits = 12;
    private const int MaxAttempts = 64;
    private static readonly byte[] Aad = Encoding.ASCII.GetBytes("lifeboat audit v1");

    /// <summary>The object name of record <paramref name="sequence"/>.</summary>
    public static string ObjectName(long sequence) => Prefix + sequence.ToString("D" + Digits, CultureInfo.InvariantCulture);

    /// <summary>Parses <c>audit/000000000042</c>; false for any other name.</summary>
    public static bool TryParseName(string name, out long sequence)
    {
        sequence = 0;
        var tail = name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : "";
        return tail.Length == Digits && tail.All(char.IsAsciiDigit)
            && long.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence > 0;
    }

    /// <summary>
    /// Appends <paramref name="record"/> as the next record and returns it as stored. Sets the
    /// sequence and predecessor hash, and user and host from the repository's identity when empty.
    /// Safe against concurrent appenders (they retry on the next number).
    /// </summary>
    public static async Task<AuditEntry> AppendAsync(BackupRepository repository, AuditRecord record, CancellationToken cancellationToken)
    {
        var identity = repository.Context.Identity;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var head = await FindHeadAsync(repository.Storage, cancellationToken);
            string? previous = null;
            if (head > 0)
            {
                try
                {
                    previous = Sha256Hex(await repository.Storage.ReadAsync(ObjectName(head), 0, null, cancellationToken));
                }
                catch (StorageException e) when (e.Kind == StorageErrorKind.NotFound)
                {
                    continue;
                }
            }

            var stamped = record with
            {
                Version = 1,
                Sequence = head + 1,
                Previous = previous,
                User = record.User.Length > 0 ? record.User : identity.User,
                Host = record.Host.Length > 0 ? record.Host : identity.Host,
            };
            var stored = Sealer.Seal(repository.Key.DataKey, JsonSerializer.SerializeToUtf8Bytes(stamped, FormatJson.Of<AuditRecord>()), Aad);
            var name = ObjectName(stamped.Sequence);
            try
            {
                await repository.Storage.WriteAsync(name, stored, cancellationToken);
            }
            catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
            {
                await Task.Delay(Random.Shared.Next(5, 25 + attempt * 10), cancellationToken);
                continue;
            }

            // Read back: on a backend whose no-overwrite check is racy (S3 HeadThenPut), a concurrent
            // appender may have replaced our record; then we append again after theirs.
            var back = await repository.Storage.ReadAsync(name, 0, null, cancellationToken);
            if (back.AsSpan().SequenceEqual(stored))
            {
                return new AuditEntry(stamped.Sequence, name, Sha256Hex(stored), stamped);
            }

            if (Sealer.TryOpen(repository.Key.DataKey, back, Aad) is null)
            {
                // Not another appender's record (that would be authentic): the store returned other bytes than we wrote.
                throw StoredBytesMismatch.Exception(repository.Storage, name);
            }
        }

        throw new RepositoryLockedException($"could not append to the audit log of {repository.Storage.Location}: other processes kept appending ({MaxAttempts} attempts)");
    }

    /// <summary>Every readable record, in sequence order; unreadable ones are skipped (see <see cref="VerifyAsync(BackupRepository, CancellationToken)"/>).</summary>
    public static async Task<List<AuditEntry>> ReadAllAsync(BackupRepository repository, CancellationToken cancellationToken) =>
        [.. (await LoadAsync(repository, cancellationToken)).Where(o => o.Entry is not null && o.Entry.Record.Sequence == o.Sequence).Select(o => o.Entry!)];

    /// <summary>
    /// Proves the chain: every number from 1 to the highest present, each record authentic, holding
    /// its own number and its predecessor's hash. Snapshots that no audit record names are warnings
    /// (made before the log existed, or the log's newest records were deleted).
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var (snapshots, damaged) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
        return await VerifyAsync(repository, snapshots, cancellationToken, [.. damaged.Select(d => d.Id)]);
    }

    /// <summary>
    /// As <see cref="VerifyAsync(BackupRepository, CancellationToken)"/>, with the snapshots the caller has loaded already
    /// (and the ids of those it could not read, which are checked against the records by id alone).
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(BackupRepository repository, IReadOnlyList<SnapshotRecord> snapshots, CancellationToken cancellationToken,
        IReadOnlyList<BlobId>? unreadableSnapshots = null)
    {
        var objects = await LoadAsync(repository, cancellationToken);
        var problems = new List<AuditProblem>();
        var flagged = new HashSet<long>();
        foreach (var o in objects.Where(o => o.Sequence == 0))
        {
            problems.Add(new AuditProblem(null, o.Name, $"'{o.Name}' is not an audit record name (expected {Prefix} and {Digits} digits): it was added or renamed"));
        }

        var bySequence = objects.Where(o => o.Sequence > 0).ToDictionary(o => o.Sequence);
        var head = bySequence.Count > 0 ? bySequence.Keys.Max() : 0;
        foreach (var o in bySequence.Values.OrderBy(o => o.Sequence))
        {
            if (o.Error is not null)
            {
                problems.Add(new AuditProblem(o.Sequence, o.Name, $"record {o.Sequence} ({o.Name}) {o.Error}: it was edited or damaged"));
                flagged.Add(o.Sequence);
            }
            else if (o.Entry!.Record.Sequence != o.Sequence)
            {
                problems.Add(new AuditProblem(o.Sequence, o.Name,
                    $"{o.Name} holds record {o.Entry.Record.Sequence}, not record {o.Sequence}: records were reordered, or one was copied over another"));
                flagged.Add(o.Sequence);
            }
        }

        AddMissing(problems, bySequence, head);
        foreach (var o in bySequence.Values.Where(o => !flagged.Contains(o.Sequence)).OrderBy(o => o.Sequence))
        {
            var previous = o.Entry!.Record.Previous;
            if (o.Sequence == 1)
            {
                if (previous is not null)
                {
                    problems.Add(new AuditProblem(1, o.Name, $"record 1 ({o.Name}) names a predecessor: it is not the first record the log had"));
                }

                continue;
            }

            if (!bySequence.TryGetValue(o.Sequence - 1, out var before) || flagged.Contains(before.Sequence))
            {
                continue;
            }

            if (previous != before.Sha256)
            {
                problems.Add(new AuditProblem(before.Sequence, before.Name,
                    $"record {before.Sequence} ({before.Name}) was edited or replaced: its SHA-256 is {before.Sha256[..16]}…, but record {o.Sequence} recorded {Short(previous)}"));
            }
        }

        var warnings = UnauditedSnapshots(objects, snapshots, unreadableSnapshots ?? []);
        var entries = bySequence.Values.Where(o => o.Entry is not null && !flagged.Contains(o.Sequence)).OrderBy(o => o.Sequence).Select(o => o.Entry!).ToList();
        return new AuditVerification(bySequence.Count, head, [.. problems.OrderBy(p => p.Sequence ?? 0)], warnings, entries);
    }

    private static void AddMissing(List<AuditProblem> problems, Dictionary<long, LoadedObject> bySequence, long head)
    {
        long? gapStart = null;
        for (long n = 1; n <= head + 1; n++)
        {
            var present = n > head || bySequence.ContainsKey(n);
            if (!present && gapStart is null)
            {
                gapStart = n;
            }
            else if (present && gapStart is { } start)
            {
                var which = start == n - 1 ? $"record {start} ({ObjectName(start)}) is" : $"records {start} to {n - 1} are";
                problems.Add(new AuditProblem(start, ObjectName(start), $"{which} missing: deleted (record {n} follows record {start - 1})"));
                gapStart = null;
            }
        }
    }

    private static List<string> UnauditedSnapshots(List<LoadedObject> objects, IReadOnlyList<SnapshotRecord> snapshots, IReadOnlyList<BlobId> unreadable)
    {
        var named = objects.Where(o => o.Entry is not null).SelectMany(o => o.Entry!.Record.Snapshots).ToHashSet(StringComparer.Ordinal);
        var first = objects.Where(o => o.Entry is not null).Select(o => (DateTimeOffset?)o.Entry!.Record.Started).Min();
        return [.. snapshots
            .Where(s => !named.Contains(s.Id.ToString()) && first is { } f && s.Snapshot.Time >= f)
            .Select(s => $"snapshot {s.ShortId} ({s.Snapshot.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {s.Snapshot.Source}) is in no audit record: it was made without the audit log, or the log's newest records were deleted"),
            // its time is unknown, so it may predate the log: named either way, beside the damage check reports
            .. unreadable
            .Where(id => !named.Contains(id.ToString()) && first is not null)
            .Select(id => $"snapshot {id.Short} cannot be read and is in no audit record: it was made without the audit log, or the log's records naming it were deleted (run 'lifeboat check')")];
    }

    private static async Task<long> FindHeadAsync(IStorage storage, CancellationToken cancellationToken)
    {
        long head = 0;
        await foreach (var info in storage.ListAsync(Prefix, cancellationToken))
        {
            if (TryParseName(info.Name, out var sequence) && sequence > head)
            {
                head = sequence;
            }
        }

        return head;
    }

    private static async Task<List<LoadedObject>> LoadAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var info in repository.Storage.ListAsync(Prefix, cancellationToken))
        {
            names.Add(info.Name);
        }

        var loaded = new LoadedObject[names.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) => loaded[i] = await LoadOneAsync(repository, names[i], ct));
        return [.. loaded.OrderBy(o => o.Sequence).ThenBy(o => o.Name, StringComparer.Ordinal)];
    }

    private static async Task<LoadedObject> LoadOneAsync(BackupRepository repository, string name, CancellationToken cancellationToken)
    {
        if (!TryParseName(name, out var sequence))
        {
            return new LoadedObject(0, name, "", null, null);
        }

        var stored = await repository.Storage.ReadAsync(name, 0, null, cancellationToken);
        var hash = Sha256Hex(stored);
        var json = Sealer.TryOpen(repository.Key.DataKey, stored, Aad);
        if (json is null)
        {
            return new LoadedObject(sequence, name, hash, null, "failed authentication");
        }

        try
        {
            var record = JsonSerializer.Deserialize(json, FormatJson.Of<AuditRecord>());
            return record is null
                ? new LoadedObject(sequence, name, hash, null, "is empty")
                : new LoadedObject(sequence, name, hash, new AuditEntry(sequence, name, hash, record), null);
        }
        catch (JsonException e)
        {
            return new LoadedObject(sequence, name, hash, null, $"is malformed ({e.Message})");
        }
    }

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Short(string? hash) => hash is null ? "no predecessor" : hash[..Math.Min(16, hash.Length)] + "…";

    private sealed record LoadedObject(long Sequence, string Name, string Sha256, AuditEntry? Entry, string? Error);
}
