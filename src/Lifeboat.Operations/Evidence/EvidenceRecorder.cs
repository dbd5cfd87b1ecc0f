using Lifeboat.Repository;
using System.Globalization;
using Lifeboat.Repository.Evidence;

namespace Lifeboat.Operations.Evidence;

/// <summary>A report as saved: its id in the repository and the SHA-256 of its body.</summary>
public sealed record SavedEvidence(string Id, string Sha256, EvidenceReport Report, byte[] Body)
{
    /// <summary>The first 8 hex digits of the id.</summary>
    public string ShortId => Id[..8];
}

/// <summary>Saves evidence reports into the repository (sealed) and, optionally, as files.</summary>
public static class EvidenceRecorder
{
    /// <summary>Serialises <paramref name="report"/>, stores it as <c>evidence/&lt;id&gt;</c>, and returns the id and hash.</summary>
    public static async Task<SavedEvidence> SaveAsync(BackupRepository repository, EvidenceReport report, CancellationToken cancellationToken)
    {
        var body = report.ToBody();
        var envelope = EvidenceEnvelope.Create(report.Kind, report.Finished, report.Passed, report.Snapshot?.Id, report.Snapshot?.Source, body);
        var id = await EvidenceStore.SaveAsync(repository, envelope, cancellationToken);
        return new SavedEvidence(id.ToString(), envelope.Sha256, report, body);
    }

    /// <summary>The report of a stored entry.</summary>
    public static SavedEvidence FromEntry(EvidenceEntry entry) =>
        new(entry.Id.ToString(), entry.Envelope.Sha256, EvidenceReport.FromBody(entry.Envelope.Body), entry.Envelope.Body);

    /// <summary>
    /// Writes <c>&lt;time&gt;-&lt;kind&gt;-&lt;id&gt;.json</c> (the body, byte for byte, so <c>sha256sum</c> gives the
    /// report's hash) and the same name with <c>.md</c> into <paramref name="directory"/>. Returns the paths.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteFilesAsync(SavedEvidence evidence, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory,
            $"{evidence.Report.Finished.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{evidence.Report.Kind}-{evidence.ShortId}");
        await File.WriteAllBytesAsync(stem + ".json", evidence.Body, cancellationToken);
        await File.WriteAllTextAsync(stem + ".md", EvidenceMarkdown.Render(evidence.Report, evidence.Sha256, evidence.Id), cancellationToken);
        return [stem + ".json", stem + ".md"];
    }
}
