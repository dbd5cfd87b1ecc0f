using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Repository;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// The repositories one job opens, by their names in the plan file: each opened at most once (a wait for a lock and
/// the use case after it share it), all disposed when the job ends (docs/architecture.md, "A repository owns its storage").
/// </summary>
internal sealed class JobRepositories(IRepositoryOpeners openers, PlanFile.PlanFile file, Func<string, string?> environment) : IAsyncDisposable
{
    private readonly Dictionary<string, Opener> _openers = new(StringComparer.Ordinal);

    /// <summary>The opener of the repository named <paramref name="name"/>.</summary>
    public IRepositoryOpener For(string name)
    {
        if (!_openers.TryGetValue(name, out var opener))
        {
            var settings = file.Repository(name);
            opener = new Opener(openers.For(settings, () => PlanSecrets.RepositoryPassword(settings, environment)));
            _openers.Add(name, opener);
        }

        return opener;
    }

    /// <summary>The repository named <paramref name="name"/>, opened now if it is not yet.</summary>
    public Task<BackupRepository> OpenAsync(string name, CancellationToken cancellationToken) => For(name).OpenAsync(cancellationToken);

    /// <summary>The repository named <paramref name="name"/> if this job opened it.</summary>
    public BackupRepository? Opened(string name) => _openers.GetValueOrDefault(name)?.Repository;

    /// <summary>Disposes every repository opened (a storage that fails to close changes nothing the job did).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var opener in _openers.Values)
        {
            if (opener.Repository is { } repository)
            {
                try
                {
                    await repository.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // everything the job wrote was written (or reported) before this
                }
            }
        }

        _openers.Clear();
    }

    private sealed class Opener(IRepositoryOpener inner) : IRepositoryOpener
    {
        public BackupRepository? Repository { get; private set; }

        public string Location => inner.Location;

        public async Task<BackupRepository> OpenAsync(CancellationToken cancellationToken) =>
            Repository ??= await inner.OpenAsync(cancellationToken).ConfigureAwait(false);
    }
}
