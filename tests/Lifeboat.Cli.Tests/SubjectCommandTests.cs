using System.IO.Compression;
using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// <c>subject show</c> and <c>subject export</c> on a Supabase-shaped schema: users with profiles, orders and their
/// items (a composite key shipments refer to), notes linked only by a declared link, and self-referencing comments.
/// </summary>
public sealed class SubjectCommandTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private const string Alice = "a1111111-1111-1111-1111-111111111111";
    private const string Bob = "b2222222-2222-2222-2222-222222222222";

    private const string Schema = """
        CREATE SCHEMA auth;
        CREATE TABLE auth.users (id uuid PRIMARY KEY, email text NOT NULL, avatar bytea, meta jsonb, created_at timestamptz NOT NULL);
        CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), display_name text, active boolean NOT NULL);
        CREATE TABLE public.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), total numeric(10, 2));
        CREATE TABLE public.order_items (order_id bigint NOT NULL REFERENCES public.orders (id), line int NOT NULL, item text, PRIMARY KEY (order_id, line));
        CREATE TABLE public.shipments (id int PRIMARY KEY, order_id bigint, line int, carrier text,
            FOREIGN KEY (order_id, line) REFERENCES public.order_items (order_id, line));
        CREATE TABLE public.notes (id int PRIMARY KEY, user_id uuid, body text);
        CREATE TABLE public.comments (id int PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), parent_id int REFERENCES public.comments (id), body text);
        """;

    private static readonly string Data = $$"""
        INSERT INTO auth.users VALUES
            ('{{Alice}}', 'alice@example.com MARKER-ALICE', '\x00ff10', '{"plan": "pro", "n": 3}', '2026-01-02 03:04:05+00'),
            ('{{Bob}}', 'bob@example.com MARKER-BOB', NULL, NULL, '2026-02-03 04:05:06+00');
        INSERT INTO public.profiles VALUES ('{{Alice}}', 'Alice MARKER-ALICE', true), ('{{Bob}}', 'Bob MARKER-BOB', false);
        INSERT INTO public.orders (user_id, total) VALUES ('{{Alice}}', 10.50), ('{{Bob}}', 99.00), ('{{Alice}}', 20.25);
        INSERT INTO public.order_items VALUES (1, 1, 'book MARKER-ALICE'), (1, 2, 'pen'), (2, 1, 'lamp MARKER-BOB'), (3, 1, 'cup');
        INSERT INTO public.shipments VALUES (1, 1, 2, 'post'), (2, 2, 1, 'courier MARKER-BOB');
        INSERT INTO public.notes VALUES (1, '{{Alice}}', 'note 1 MARKER-ALICE'), (2, '{{Bob}}', 'note MARKER-BOB'), (3, '{{Alice}}', 'note 2'), (4, '{{Alice}}', 'note 3');
        INSERT INTO public.comments VALUES (20, '{{Alice}}', NULL, 'first'), (21, '{{Alice}}', 20, 'reply'), (30, '{{Bob}}', NULL, 'MARKER-BOB');
        -- the parent now lies after its reply: an export in the order read would not load
        UPDATE public.comments SET body = 'first, edited MARKER-ALICE' WHERE id = 20;
        """;

    // the rows of Alice, table by table, as the source selects them
    private static readonly (string Table, string Where)[] AliceRows =
    [
        ("auth.users", $"id = '{Alice}'"),
        ("public.profiles", $"id = '{Alice}'"),
        ("public.orders", $"user_id = '{Alice}'"),
        ("public.order_items", $"order_id IN (SELECT id FROM public.orders WHERE user_id = '{Alice}')"),
        ("public.shipments", $"(order_id, line) IN (SELECT i.order_id, i.line FROM public.order_items i JOIN public.orders o ON o.id = i.order_id WHERE o.user_id = '{Alice}')"),
        ("public.notes", $"user_id = '{Alice}'"),
        ("public.comments", $"user_id = '{Alice}'"),
    ];

    private readonly DatabaseFixture _db;
    private readonly TestRepo _repo = new();
    private readonly string _links;

    public SubjectCommandTests(DatabaseFixture db)
    {
        _db = db;
        _db.UsePassword(_repo.Cli);
        _links = Path.Combine(_repo.Root, "subject.yaml");
        File.WriteAllText(_links, "links:\n  - from: public.notes.user_id\n    to: auth.users.id\n");
    }

    private string Scratch => _db.Url("postgres");

    private async Task BackUpAsync()
    {
        await _db.Cluster.ExecuteAsync("DROP DATABASE IF EXISTS subjects");
        await _db.Cluster.CreateDatabaseAsync("subjects");
        await _db.Cluster.ExecuteAsync(Schema + Data, "subjects");
        await _repo.InitAsync();
        var backup = await _repo.Cli.RunAsync("backup", "--db", _db.Url("subjects"));
        backup.ExitCode.Should().Be(0, backup.ToString());
    }

    private Task<CliResult> SubjectAsync(string verb, params string[] more) =>
        _repo.Cli.RunAsync([.. new[] { "subject", verb, "latest", "--root", "auth.users", "--scratch", Scratch }, .. more]);

    [Fact]
    public async Task Show_counts_the_subjects_rows_in_every_table_with_the_path_that_reached_it()
    {
        await BackUpAsync();

        var show = await SubjectAsync("show", "--where", $"id = '{Alice}'", "--links", _links, "--json");
        var text = await SubjectAsync("show", "--where", $"id = '{Alice}'", "--links", _links);

        show.ExitCode.Should().Be(0, show.ToString());
        using var json = JsonDocument.Parse(show.Out);
        var tables = json.RootElement.GetProperty("tables").EnumerateArray()
            .ToDictionary(t => t.GetProperty("table").GetString()!, t => (Rows: t.GetProperty("rows").GetInt64(), Path: string.Join(" → ", t.GetProperty("path").EnumerateArray().Select(p => p.GetString()))));
        tables.Should().BeEquivalentTo(new Dictionary<string, (long, string)>
        {
            ["auth.users"] = (1, "auth.users"),
            ["public.profiles"] = (1, "auth.users → public.profiles.id"),
            ["public.orders"] = (2, "auth.users → public.orders.user_id"),
            ["public.order_items"] = (3, "auth.users → public.orders.user_id → public.order_items.order_id"),
            ["public.shipments"] = (1, "auth.users → public.orders.user_id → public.order_items.order_id → public.shipments(order_id, line)"),
            ["public.notes"] = (3, "auth.users → public.notes.user_id"),
            ["public.comments"] = (2, "auth.users → public.comments.user_id"),
        });
        json.RootElement.GetProperty("bytesRead").GetInt64().Should().BeGreaterThan(0);
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_subject_%'")).Should().Be(0, "the scratch database is dropped");
        text.ExitCode.Should().Be(0, text.ToString());
        text.Out.Should().Contain("13 row(s) in 7 of 7 table(s) reached from auth.users").And.Contain("from the repository");
    }

    [Fact]
    public async Task Without_the_links_file_the_notes_are_not_reached()
    {
        await BackUpAsync();

        var show = await SubjectAsync("show", "--where", $"id = '{Alice}'", "--json");

        show.ExitCode.Should().Be(0, show.ToString());
        using var json = JsonDocument.Parse(show.Out);
        json.RootElement.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("table").GetString()).Should().NotContain("public.notes");
    }

    [Fact]
    public async Task Export_json_holds_exactly_the_subjects_rows_with_their_types_rendered_faithfully()
    {
        await BackUpAsync();
        var file = Path.Combine(_repo.Root, "alice.json");

        var export = await SubjectAsync("export", "--where", $"email LIKE 'alice@%'", "--links", _links, "--format", "json", "--output", file);

        export.ExitCode.Should().Be(0, export.ToString());
        var content = await File.ReadAllTextAsync(file);
        content.Should().Contain("MARKER-ALICE").And.NotContain("MARKER-BOB");
        using var json = JsonDocument.Parse(content);
        var tables = json.RootElement.GetProperty("tables");
        tables.EnumerateObject().Select(t => (t.Name, t.Value.GetArrayLength())).Should().BeEquivalentTo(new[]
        {
            ("auth.users", 1), ("public.profiles", 1), ("public.orders", 2), ("public.order_items", 3), ("public.shipments", 1), ("public.notes", 3), ("public.comments", 2),
        });
        var user = tables.GetProperty("auth.users")[0];
        user.GetProperty("avatar").GetString().Should().Be(Convert.ToBase64String([0x00, 0xff, 0x10]));
        user.GetProperty("meta").GetProperty("n").GetInt32().Should().Be(3);
        DateTimeOffset.Parse(user.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            .Should().Be(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        tables.GetProperty("public.profiles")[0].GetProperty("active").GetBoolean().Should().BeTrue();
        tables.GetProperty("public.orders")[0].GetProperty("total").GetDecimal().Should().Be(10.50m);
        tables.GetProperty("public.comments").EnumerateArray().Single(c => c.GetProperty("id").GetInt32() == 20).GetProperty("parent_id").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task Export_sql_loads_into_an_empty_copy_of_the_schema_and_gives_the_same_rows()
    {
        await BackUpAsync();
        var file = Path.Combine(_repo.Root, "alice.sql");
        var zip = Path.Combine(_repo.Root, "alice.zip");

        var export = await SubjectAsync("export", "--where", $"id = '{Alice}'", "--links", _links, "--format", "sql", "--output", file);
        var csv = await SubjectAsync("export", "--where", $"id = '{Alice}'", "--links", _links, "--format", "csv", "--output", zip);

        export.ExitCode.Should().Be(0, export.ToString());
        await _db.Cluster.ExecuteAsync("DROP DATABASE IF EXISTS subjects_copy");
        await _db.Cluster.CreateDatabaseAsync("subjects_copy");
        await _db.Cluster.ExecuteAsync(Schema, "subjects_copy");
        await _db.Cluster.ExecuteAsync(await File.ReadAllTextAsync(file), "subjects_copy");
        foreach (var (table, where) in AliceRows)
        {
            var copied = await _db.Cluster.ScalarAsync<string>($"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t", "subjects_copy");
            var source = await _db.Cluster.ScalarAsync<string>($"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t WHERE {where}", "subjects");
            copied.Should().Be(source, $"{table} holds the same rows");
        }

        csv.ExitCode.Should().Be(0, csv.ToString());
        using var archive = ZipFile.OpenRead(zip);
        var entries = archive.Entries.Select(e => e.FullName).ToList();
        entries.Should().BeEquivalentTo(AliceRows.Select(r => r.Table + ".csv"));
        entries[0].Should().Be("auth.users.csv", "parents come first");
        entries.IndexOf("public.orders.csv").Should().BeLessThan(entries.IndexOf("public.order_items.csv"));
        entries.IndexOf("public.order_items.csv").Should().BeLessThan(entries.IndexOf("public.shipments.csv"));
        using var reader = new StreamReader(archive.GetEntry("public.orders.csv")!.Open());
        (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3, "a header line and two orders");
    }

    [Fact]
    public async Task Bad_inputs_give_clear_errors_and_an_existing_output_is_kept_without_force()
    {
        await BackUpAsync();
        var existing = Path.Combine(_repo.Root, "existing.json");
        await File.WriteAllTextAsync(existing, "keep me");
        var badLinks = Path.Combine(_repo.Root, "bad.yaml");
        await File.WriteAllTextAsync(badLinks, "links:\n  - from: public.notes\n    to: auth.users.id\n");

        var unknownRoot = await _repo.Cli.RunAsync("subject", "show", "latest", "--root", "auth.nobody", "--where", "true", "--scratch", Scratch);
        var badWhere = await SubjectAsync("show", "--where", "id = = 'x'");
        var noRow = await SubjectAsync("show", "--where", $"id = '{Guid.Empty}'");
        var exists = await SubjectAsync("export", "--where", $"id = '{Alice}'", "--output", existing);
        var links = await SubjectAsync("show", "--where", $"id = '{Alice}'", "--links", badLinks);
        var forced = await SubjectAsync("export", "--where", $"id = '{Alice}'", "--output", existing, "--force");

        unknownRoot.ExitCode.Should().Be(13, unknownRoot.ToString());
        unknownRoot.Stderr.Should().Contain("no table \"auth.nobody\"");
        badWhere.ExitCode.Should().Be(2, badWhere.ToString());
        badWhere.Stderr.Should().Contain("the WHERE is not valid for auth.users").And.NotContain("unexpected");
        noRow.ExitCode.Should().Be(18, noRow.ToString());
        noRow.Stderr.Should().Contain("no row of auth.users in this snapshot matches the WHERE");
        exists.ExitCode.Should().Be(2, exists.ToString());
        exists.Stderr.Should().Contain("pass --force");
        links.ExitCode.Should().Be(2, links.ToString());
        links.Stderr.Should().Contain("bad.yaml:2:11: 'public.notes' is not schema.table.column");
        forced.ExitCode.Should().Be(0, forced.ToString());
        (await File.ReadAllTextAsync(existing)).Should().Contain("MARKER-ALICE");
        Directory.GetFiles(_repo.Root, ".*.tmp").Should().BeEmpty("no temporary file is left");
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_subject_%'")).Should().Be(0, "failed searches drop their scratch database too");
    }

    public void Dispose() => _repo.Dispose();
}
