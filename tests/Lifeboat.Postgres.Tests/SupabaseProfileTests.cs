using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

[Collection(SupabaseCollection.Name)]
public sealed class SupabaseProfileTests(SupabaseFixture fixture)
{
    private async Task<(MemoryStreamStore Store, BackupManifest Manifest)> CaptureWithProfileAsync()
    {
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(fixture.Source, store, SupabaseProfile.Apply(new CaptureOptions { Jobs = 2 }), default);
        return (store, manifest);
    }

    private async Task<string> NewProjectAsync()
    {
        var name = await fixture.NewDatabaseAsync("project");
        var platform = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "supabase_platform.sql"));
        await fixture.Cluster.ExecuteAsync(platform, name);
        return name;
    }

    [Fact]
    public async Task The_profile_keeps_platform_rows_but_not_platform_definitions()
    {
        var (store, manifest) = await CaptureWithProfileAsync();

        manifest.Options.Profile.Should().Be("supabase");
        manifest.Tables.Single(t => t.Schema == "auth" && t.Name == "users").Should().Match<TableEntry>(t => t.DataOnly && t.Rows == 300);
        manifest.Tables.Single(t => t.Schema == "storage" && t.Name == "objects").Should().Match<TableEntry>(t => t.DataOnly && t.Rows == 500);
        manifest.Tables.Should().Contain(t => t.Schema == "public" && !t.DataOnly);
        await using var archive = await SchemaArchive.ExtractAsync(store, manifest, default);
        var script = new MemoryStream();
        var tools = await PgToolset.FindAsync(15, null, default);
        await PgRestoreRunner.WriteScriptAsync(tools, archive, "pre-data", script, default);
        var ddl = System.Text.Encoding.UTF8.GetString(script.ToArray());
        ddl.Should().NotContain("CREATE TABLE auth.users").And.NotContain("CREATE SCHEMA storage");
        ddl.Should().Contain("CREATE TABLE public.profiles");
    }

    [Fact]
    public async Task A_profile_snapshot_restores_into_a_new_project_with_its_users_and_storage_metadata()
    {
        var (store, manifest) = await CaptureWithProfileAsync();
        var project = await NewProjectAsync();

        await new PostgresRestore().RestoreAsync(store, manifest, fixture.Connection(project), new RestoreOptions { Jobs = 2 }, default);

        var verification = await PostgresVerifier.VerifyAsync(fixture.Connection(project), manifest, default);
        verification.Mismatches.Should().BeEmpty();
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM auth.identities", project)).Should().Be(300);
        (await fixture.Cluster.ScalarAsync<long>(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.profiles'::regclass AND confrelid = 'auth.users'::regclass", project))
            .Should().Be(1, "the application's foreign key to the platform's users is rebuilt");
    }

    [Fact]
    public async Task A_profile_snapshot_refuses_a_database_without_the_platform_tables_and_names_the_table()
    {
        var (store, manifest) = await CaptureWithProfileAsync();
        var plain = await fixture.NewDatabaseAsync("plain");
        await fixture.Cluster.ExecuteAsync("CREATE SCHEMA extensions; CREATE EXTENSION citext WITH SCHEMA extensions; CREATE EXTENSION pgcrypto WITH SCHEMA extensions; CREATE EXTENSION \"uuid-ossp\" WITH SCHEMA extensions; CREATE SCHEMA auth; CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';", plain);

        var act = () => new PostgresRestore().RestoreAsync(store, manifest, fixture.Connection(plain), new RestoreOptions { Jobs = 2 }, default);

        (await act.Should().ThrowAsync<RestoreFailedException>()).Which.Message.Should().Contain("auth").And.Contain("users").And.Contain("Supabase project");
    }

    [Fact]
    public async Task Clean_in_a_project_drops_the_application_but_keeps_the_platform()
    {
        var (store, manifest) = await CaptureWithProfileAsync();
        var project = await NewProjectAsync();
        await new PostgresRestore().RestoreAsync(store, manifest, fixture.Connection(project), new RestoreOptions { Jobs = 2 }, default);
        await fixture.Cluster.ExecuteAsync("TRUNCATE auth.users CASCADE; TRUNCATE storage.buckets CASCADE;", project);

        await new PostgresRestore().RestoreAsync(store, manifest, fixture.Connection(project), new RestoreOptions { Jobs = 2, Clean = true }, default);

        (await PostgresVerifier.VerifyAsync(fixture.Connection(project), manifest, default)).Mismatches.Should().BeEmpty();
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'citext'", project)).Should().Be(1, "the platform's extensions stay");
    }
}
