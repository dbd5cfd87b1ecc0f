namespace Lifeboat.Repository.Prune;

/// <summary>
/// What <see cref="Pruner"/> is doing, reported through an <see cref="IProgress{T}"/> at each phase and
/// as packs are repacked or removed.
/// </summary>
/// <param name="Phase">The phase: "reading index", "reading snapshots", "finding used data", "repacking",
/// "writing the new index", "removing the old index", "removing packs", "removing temporary files", "done".</param>
/// <param name="Done">Packs repacked or removed so far (in "repacking" and "removing packs"; otherwise 0).</param>
/// <param name="Total">Packs to repack or remove (in "repacking" and "removing packs"; otherwise 0).</param>
public sealed record PruneProgress(string Phase, int Done = 0, int Total = 0);
