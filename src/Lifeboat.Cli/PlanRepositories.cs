using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Repository;

namespace Lifeboat.Cli;

/// <summary>
/// The agent's repositories, opened from the plan file's <c>url</c> as <c>--repo</c> opens one
/// (<see cref="StorageSetup.OpenRepositoryAsync"/>: the storage backends, the settings a repository remembers).
/// What is opened is the opener's caller's to dispose (the agent's job, when it ends).
/// </summary>
internal sealed class PlanRepositories(StorageSettings settings, RepositoryContext context) : IRepositoryOpeners
{
    public IRepositoryOpener For(RepositorySettings repository, Func<string> password) => new Opener(repository.Url, settings, context, password);

    private sealed class Opener(string location, StorageSettings settings, RepositoryContext context, Func<string> password) : IRepositoryOpener
    {
        public string Location => location;

        /// <summary>Opens; a usage error of the location is an <see cref="InvalidRequestException"/> (as <c>--repo</c>'s in a use case).</summary>
        public async Task<BackupRepository> OpenAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await StorageSetup.OpenRepositoryAsync(location, settings, password(), context, cancellationToken);
            }
            catch (UsageException e)
            {
                throw new InvalidRequestException(e.Message);
            }
        }
    }
}
