using Lifeboat.Repository;
using System.Text.RegularExpressions;
using Lifeboat.Postgres;
using Lifeboat.Repository.Audit;

namespace Lifeboat.Operations.Audit;

/// <summary>What an operation wants recorded in its audit record (the rest is filled in).</summary>
public sealed record AuditFacts
{
    /// <summary>The data source, as named in snapshots.</summary>
    public string? Source { get; init; }

    /// <summary>Snapshots made, read or removed.</summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    /// <summary>Bytes read, written or restored.</summary>
    public long? Bytes { get; init; }

    /// <summary>A SHA-256 pinning the result (the evidence report body, when there is one).</summary>
    public string? Checksum { get; init; }

    /// <summary>The evidence report written.</summary>
    public string? Evidence { get; init; }

    /// <summary>Completed, but found a problem (a failed check or drill).</summary>
    public bool Failed { get; init; }

    /// <summary>What the problem was, when <see cref="Failed"/>.</summary>
    public string? Error { get; init; }

    /// <summary>Further facts.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }
}

/// <summary>
/// Runs an operation and appends its audit record: <c>ok</c> (or <c>failed</c> when it completed
/// and found a problem) with its facts, or <c>failed</c> / <c>interrupted</c> with the error text
/// when it threw. Forget, prune and copy can use <see cref="RunAsync{T}"/> the same way, or call
/// <see cref="AuditLog.AppendAsync"/> directly.
/// </summary>
public static partial class OperationAudit
{
    private static readonly TimeSpan FailureAppendTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="run"/>; then <paramref name="describe"/> (which may save evidence) and appends the record.</summary>
    public static async Task<T> RunAsync<T>(
        BackupRepository repository,
        string operation,
        Func<CancellationToken, Task<T>> run,
        Func<T, CancellationToken, Task<AuditFacts>> describe,
        CancellationToken cancellationToken,
        string? source = null)
    {
        var started = repository.Context.Time.GetUtcNow();
        T result;
        try
        {
            result = await run(cancellationToken);
        }
        catch (Exception e)
        {
            await TryAppendFailureAsync(repository, operation, started, e, source);
            throw;
        }

        var facts = await describe(result, cancellationToken);
        await AppendAsync(repository, operation, started, facts, cancellationToken);
        return result;
    }

    /// <summary>Appends the record of an operation that completed (ok, or failed per <see cref="AuditFacts.Failed"/>).</summary>
    public static Task<AuditEntry> AppendAsync(
        BackupRepository repository, string operation, DateTimeOffset started, AuditFacts facts, CancellationToken cancellationToken) =>
        AuditLog.AppendAsync(repository, new AuditRecord
        {
            Operation = operation,
            Status = facts.Failed ? AuditStatus.Failed : AuditStatus.Ok,
            Started = started,
            Finished = repository.Context.Time.GetUtcNow(),
            Source = facts.Source,
            Snapshots = facts.Snapshots,
            Bytes = facts.Bytes,
            Checksum = facts.Checksum,
            Evidence = facts.Evidence,
            Error = facts.Error is null ? null : ErrorText(facts.Error),
            Details = facts.Details,
            Program = ProgramInfo.Name,
        }, cancellationToken);

    /// <summary>
    /// Appends a <c>failed</c> (or <c>interrupted</c>) record for <paramref name="error"/>. Never throws:
    /// the operation's own error is what the caller reports.
    /// </summary>
    public static async Task TryAppendFailureAsync(BackupRepository repository, string operation, DateTimeOffset started, Exception error, string? source = null)
    {
        using var timeout = new CancellationTokenSource(FailureAppendTimeout);
        var interrupted = error is OperationCanceledException or RestoreAbandonedException { InnerException: OperationCanceledException };
        var text = error switch
        {
            RestoreAbandonedException r when interrupted => "interrupted. " + r.Aftermath.Summary,
            OperationCanceledException => "interrupted",
            _ => error.Message,
        };
        try
        {
            await AuditLog.AppendAsync(repository, new AuditRecord
            {
                Operation = operation,
                Status = interrupted ? AuditStatus.Interrupted : AuditStatus.Failed,
                Started = started,
                Finished = repository.Context.Time.GetUtcNow(),
                Source = source,
                Error = ErrorText(text),
                Program = ProgramInfo.Name,
            }, timeout.Token);
        }
        catch (Exception)
        {
            // The audit record is lost with the storage; the operation's error is reported.
        }
    }

    /// <summary>An error message fit for the log: one line, at most 2,000 characters, passwords masked.</summary>
    public static string ErrorText(string message)
    {
        var text = UrlPassword().Replace(message.ReplaceLineEndings(" "), "$1***@");
        text = KeywordPassword().Replace(text, "$1***");
        return text.Length <= 2000 ? text : text[..2000] + "…";
    }

    [GeneratedRegex(@"(://[^:/@\s]+:)[^@\s]+@")]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?i)(password\s*=\s*)[^\s;]+")]
    private static partial Regex KeywordPassword();
}
