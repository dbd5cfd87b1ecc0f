using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>
/// How a use case opens a repository it was given: the CLI opens from <c>--repo</c> and the password,
/// the agent from its plan file. A use case calls it when it is ready (so that opening, a key
/// derivation of a few hundred milliseconds, can overlap with its own setup), owns what it gets and
/// disposes it.
/// </summary>
public interface IRepositoryOpener
{
    /// <summary>Where the repository is, for messages (never holds a secret).</summary>
    string Location { get; }

    Task<BackupRepository> OpenAsync(CancellationToken cancellationToken);
}
