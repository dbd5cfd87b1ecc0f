using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

public sealed class NonSuperuserTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_database_owner_without_superuser_can_capture_and_restore_its_database()
    {
        var c = fixture.Cluster;
        await c.CreateRoleAsync("app_owner", "owner pw with spaces'");
        await c.CreateDatabaseAsync("app", "app_owner");
        await c.CreateDatabaseAsync("app_restored", "app_owner");
        // the password comes from the (injected) environment, as PGPASSWORD would
        string? Env(string name) => name switch { "PGPASSWORD" => "owner pw with spaces'", "PGUSER" => "app_owner", _ => null };
        var source = PgConnectionInfo.Parse($"host=127.0.0.1 port={c.Port} dbname=app", Env);
        var target = PgConnectionInfo.Parse($"host=127.0.0.1 port={c.Port} dbname=app_restored", Env);
        await using (var conn = new Npgsql.NpgsqlConnection(source.ToConnectionStringBuilder().ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("""
                CREATE EXTENSION pgcrypto;
                CREATE SCHEMA app;
                CREATE TYPE app.status AS ENUM ('new', 'done');
                CREATE TABLE app.tasks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, status app.status DEFAULT 'new',
                  secret bytea DEFAULT gen_random_bytes(8), parent bigint REFERENCES app.tasks (id));
                INSERT INTO app.tasks (title) SELECT 'task ' || g FROM generate_series(1, 5000) g;
                UPDATE app.tasks SET parent = id - 1 WHERE id > 1;
                ALTER TABLE app.tasks ENABLE ROW LEVEL SECURITY;
                CREATE POLICY mine ON app.tasks USING (title LIKE 'task%');
                CREATE VIEW app.open_tasks AS SELECT * FROM app.tasks WHERE status = 'new';
                CREATE INDEX ON app.tasks (status);
                SELECT lo_from_bytea(0, 'owned by app_owner');
                """, conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(source, store, new CaptureOptions { Jobs = 2 }, default);
        await new PostgresRestore().RestoreAsync(store, manifest, target, new RestoreOptions { Jobs = 2 }, default);

        manifest.Tables.Single().Rows.Should().Be(5000);
        (await PostgresVerifier.VerifyAsync(target, manifest, default)).Mismatches.Should().BeEmpty();
        (await c.ScalarAsync<string>("SELECT string_agg(pg_get_userbyid(relowner)::text, ',') FROM pg_class WHERE relname = 'tasks'", "app_restored")).Should().Be("app_owner");
        (await c.ScalarAsync<long>("SELECT count(*) FROM pg_largeobject_metadata", "app_restored")).Should().Be(1);
        (await c.ScalarAsync<long>("SELECT last_value FROM app.tasks_id_seq", "app_restored")).Should().Be(5000);
    }
}
