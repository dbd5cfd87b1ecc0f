using Lifeboat.Postgres;
using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>
/// What a database backup captures and with how many jobs, as <c>lifeboat backup</c>'s options and a plan file's
/// <c>sources:</c> entry say it; <see cref="ToCaptureOptions"/> is the one mapping of both to <see cref="CaptureOptions"/>.
/// </summary>
public sealed record DatabaseSelection
{
    /// <summary>The jobs of a backup that does not say: one per core, at least 2 and at most 8.</summary>
    public static int DefaultJobs => Math.Clamp(Environment.ProcessorCount, 2, 8);

    /// <summary>Parallel connections.</summary>
    public int Jobs { get; init; } = DefaultJobs;

    /// <summary>Only schemas matching these patterns (<c>--schema</c>).</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];

    /// <summary>Schemas skipped (<c>--exclude-schema</c>).</summary>
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];

    /// <summary>Only tables matching these patterns (<c>--table</c>).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>Tables skipped (<c>--exclude-table</c>).</summary>
    public IReadOnlyList<string> ExcludeTables { get; init; } = [];

    /// <summary>Tables whose definition is kept but not their rows (<c>--exclude-table-data</c>).</summary>
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];

    /// <summary><c>supabase</c> or null (<c>--profile</c>).</summary>
    public string? Profile { get; init; }

    /// <summary>Also save roles and tablespaces (<c>--globals</c>).</summary>
    public bool Globals { get; init; }

    /// <summary>Read every table in physical order (<c>--physical-order</c>).</summary>
    public bool PhysicalOrder { get; init; }

    /// <summary>Where pg_dump lives; null: search (<c>--pg-bin</c>).</summary>
    public string? PgBinDirectory { get; init; }

    /// <summary>The capture's options, the profile applied; an unknown profile is an <see cref="InvalidRequestException"/>.</summary>
    public CaptureOptions ToCaptureOptions()
    {
        var options = new CaptureOptions
        {
            Jobs = Jobs,
            Schemas = Schemas,
            ExcludeSchemas = ExcludeSchemas,
            Tables = Tables,
            ExcludeTables = ExcludeTables,
            ExcludeTableData = ExcludeTableData,
            Globals = Globals,
            PhysicalOrder = PhysicalOrder,
            PgBinDirectory = PgBinDirectory,
        };
        return Profile switch
        {
            null => options,
            SupabaseProfile.Name => SupabaseProfile.Apply(options),
            _ => throw new InvalidRequestException($"unknown profile '{Profile}': the one known is {SupabaseProfile.Name}"),
        };
    }
}
