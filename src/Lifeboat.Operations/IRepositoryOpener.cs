using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>
/// How a use case opens a repository it was given: the CLI opens from <c>--repo</c> and the password,
/// the agent from its plan file. A use case calls it when it is ready (so that opening, a key
/// derivation of a few hundred milliseconds, can overlap with its own setup). The repository stays the
/// opener's to dispose (the CLI's disposes every repository it opened when the command ends): a use case
/// does not dispose what it gets.
/// </summary>
public interface IRepositoryOpener
{
    /// <summary>Where the repository is, for messages (never holds a secret).</summary>
    string Location { get; }

    Task<BackupRepository> OpenAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A repository the caller opened already (the demo, tests), handed to a use case that takes an
/// <see cref="IRepositoryOpener"/>. The caller keeps owning it: it outlives the use case.
/// </summary>
public sealed class OpenedRepository(BackupRepository repository, string location) : IRepositoryOpener
{
    public string Location => location;

    public Task<BackupRepository> OpenAsync(CancellationToken cancellationToken) => Task.FromResult(repository);
}
