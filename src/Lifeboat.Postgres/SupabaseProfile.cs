namespace Lifeboat.Postgres;

/// <summary>
/// <c>--profile supabase</c>: what a Supabase project needs from a logical backup. A new project
/// comes with its platform schemas (auth, storage, realtime, extensions, …) already created and
/// managed by Supabase, so their definitions are left out; the data that belongs to the
/// application is kept: users and their identities, storage bucket and object metadata (the files
/// themselves live in Supabase Storage, not in the database), and the migration history.
/// Extensions are provided by the platform too: a restore leaves them to the project.
/// </summary>
public static class SupabaseProfile
{
    public const string Name = "supabase";

    /// <summary>Schemas whose definitions the platform creates and manages.</summary>
    public static IReadOnlyList<string> PlatformSchemas { get; } =
    [
        "auth", "storage", "realtime", "_realtime", "supabase_functions", "supabase_migrations", "extensions",
        "graphql", "graphql_public", "pgbouncer", "pgsodium", "pgsodium_masks", "vault", "net", "cron",
        "_analytics", "pgtle", "_supavisor",
    ];

    /// <summary>Platform tables whose rows belong to the application, in the order they are loaded (referenced tables first).</summary>
    public static IReadOnlyList<string> KeptData { get; } =
    [
        "auth.users", "auth.identities", "storage.buckets", "storage.objects", "supabase_migrations.schema_migrations",
    ];

    /// <summary>The options with the profile applied (the user's own filters are kept).</summary>
    public static CaptureOptions Apply(CaptureOptions options) => options with
    {
        Profile = Name,
        ExcludeSchemas = [.. options.ExcludeSchemas, .. PlatformSchemas.Except(options.ExcludeSchemas)],
        DataOnlyTables = [.. options.DataOnlyTables, .. KeptData],
    };

    /// <summary>True when a schema is one the platform manages.</summary>
    public static bool IsPlatformSchema(string schema) => PlatformSchemas.Contains(schema, StringComparer.Ordinal);
}
