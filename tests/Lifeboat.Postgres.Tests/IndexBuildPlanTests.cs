namespace Lifeboat.Postgres.Tests;

public class IndexBuildPlanTests
{
    private static readonly TableEntry[] Manifest =
    [
        Table("public", "events", "table", 300),
        Table("public", "users", "table", 20),
        Table("public", "measurements", "partitioned", 0),
        Table("public", "measurements_2024", "partition", 50),
        Table("My Schema", "Odd \"Name\"", "table", 5),
    ];

    private static TableEntry Table(string schema, string name, string kind, long bytes) =>
        new() { Schema = schema, Name = name, Kind = kind, Columns = ["id"], Bytes = bytes };

    private static string Script(params string[] entries) =>
        "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n" +
        "SET default_tablespace = '';\n\n" + string.Concat(entries) + "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n";

    private static string Entry(string name, string type, string sql) =>
        $"--\n-- Name: {name}; Type: {type}; Schema: public; Owner: postgres\n--\n\n{sql}\n\n\n";

    [Fact]
    public void A_primary_key_becomes_a_unique_index_built_beside_the_others_and_attached_afterwards()
    {
        var builds = IndexBuildPlan.Plan(
            ["3226; 2606 16428 CONSTRAINT public events events_pkey postgres", "3224; 1259 16434 INDEX public events_account_created postgres"],
            Script(
                Entry("events events_pkey", "CONSTRAINT", "ALTER TABLE ONLY public.events\n    ADD CONSTRAINT events_pkey PRIMARY KEY (id);"),
                Entry("events_account_created", "INDEX", "CREATE INDEX events_account_created ON public.events USING btree (account_id, created_at);")),
            Manifest);

        builds.Should().HaveCount(2);
        builds[0].Should().Be(new IndexBuild("3226", "CONSTRAINT events_pkey ON public.events",
            "CREATE UNIQUE INDEX events_pkey ON public.events USING btree (id);",
            "ALTER TABLE ONLY public.events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;", 300));
        builds[1].Should().Be(new IndexBuild("3224", "INDEX events_account_created",
            "CREATE INDEX events_account_created ON public.events USING btree (account_id, created_at);", null, 300));
    }

    [Fact]
    public void Builds_of_the_largest_tables_come_first()
    {
        var builds = IndexBuildPlan.Plan(
            ["1; 1259 1 INDEX public users_email postgres", "2; 2606 2 CONSTRAINT public users users_pkey postgres", "3; 1259 3 INDEX public events_kind postgres"],
            Script(
                Entry("users_email", "INDEX", "CREATE UNIQUE INDEX users_email ON public.users USING btree (email, id);"),
                Entry("users users_pkey", "CONSTRAINT", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (id);"),
                Entry("events_kind", "INDEX", "CREATE INDEX events_kind ON public.events USING btree (kind);")),
            Manifest);

        builds.Select(b => b.EntryId).Should().Equal("3", "2", "1");
    }

    [Fact]
    public void Quoted_names_are_matched_with_the_manifest_and_kept_quoted_in_the_statements()
    {
        var builds = IndexBuildPlan.Plan(
            ["7; 2606 9 CONSTRAINT My Schema Odd \"Name\" Odd_uniq postgres"],
            Script(Entry("Odd \"Name\" Odd_uniq", "CONSTRAINT",
                "ALTER TABLE ONLY \"My Schema\".\"Odd \"\"Name\"\"\"\n    ADD CONSTRAINT \"Odd_uniq\" UNIQUE (\"Key\", id);")),
            Manifest);

        builds.Should().ContainSingle().Which.Should().Be(new IndexBuild("7", "CONSTRAINT \"Odd_uniq\" ON \"My Schema\".\"Odd \"\"Name\"\"\"",
            "CREATE UNIQUE INDEX \"Odd_uniq\" ON \"My Schema\".\"Odd \"\"Name\"\"\" USING btree (\"Key\", id);",
            "ALTER TABLE ONLY \"My Schema\".\"Odd \"\"Name\"\"\" ADD CONSTRAINT \"Odd_uniq\" UNIQUE USING INDEX \"Odd_uniq\";", 5));
    }

    [Theory]
    [InlineData("public.measurements", "PRIMARY KEY (id, ts)")] // partitioned: USING INDEX is not supported there
    [InlineData("public.measurements_2024", "PRIMARY KEY (id, ts)")] // a partition: its index is attached to the parent's
    [InlineData("public.unknown", "PRIMARY KEY (id)")] // not in the manifest
    [InlineData("public.events", "UNIQUE (id) DEFERRABLE INITIALLY DEFERRED")]
    [InlineData("public.events", "PRIMARY KEY (id) WITH (fillfactor='70')")]
    [InlineData("public.events", "UNIQUE NULLS NOT DISTINCT (id)")]
    [InlineData("public.events", "EXCLUDE USING gist (id WITH =)")]
    [InlineData("public.events", "CHECK ((id > 0)) NOT VALID")]
    public void Constraints_that_are_not_a_plain_key_of_an_ordinary_table_stay_with_pg_restore(string table, string definition)
    {
        var builds = IndexBuildPlan.Plan(
            ["5; 2606 5 CONSTRAINT public t c postgres"],
            Script(Entry("t c", "CONSTRAINT", $"ALTER TABLE ONLY {table}\n    ADD CONSTRAINT c {definition};")),
            Manifest);

        builds.Should().BeEmpty();
    }

    [Fact]
    public void An_index_entry_with_more_than_its_create_statement_stays_with_pg_restore()
    {
        var builds = IndexBuildPlan.Plan(
            ["4; 1259 4 INDEX public events_kind postgres"],
            Script(Entry("events_kind", "INDEX", "CREATE INDEX events_kind ON public.events USING btree (kind);\n\nALTER TABLE public.events CLUSTER ON events_kind;")),
            Manifest);

        builds.Should().BeEmpty();
    }

    [Fact]
    public void An_archive_that_places_indexes_in_a_tablespace_is_left_to_pg_restore_entirely()
    {
        var builds = IndexBuildPlan.Plan(
            ["4; 1259 4 INDEX public events_kind postgres", "5; 1259 5 INDEX public events_other postgres"],
            Script(
                "SET default_tablespace = fast;\n\n" + Entry("events_kind", "INDEX", "CREATE INDEX events_kind ON public.events USING btree (kind);"),
                Entry("events_other", "INDEX", "CREATE INDEX events_other ON public.events USING btree (other);")),
            Manifest);

        builds.Should().BeEmpty("the second index inherits the tablespace setting from the first in pg_restore's session");
    }

    [Fact]
    public void A_script_that_does_not_match_the_list_entry_for_entry_is_left_to_pg_restore()
    {
        IndexBuildPlan.Plan(
            ["4; 1259 4 INDEX public events_kind postgres", "5; 1259 5 INDEX public events_other postgres"],
            Script(Entry("events_kind", "INDEX", "CREATE INDEX events_kind ON public.events USING btree (kind);")),
            Manifest).Should().BeEmpty();
        IndexBuildPlan.Plan(
            ["4; 1259 4 INDEX public events_kind postgres"],
            Script(Entry("events events_pkey", "CONSTRAINT", "ALTER TABLE ONLY public.events\n    ADD CONSTRAINT events_pkey PRIMARY KEY (id);")),
            Manifest).Should().BeEmpty();
    }
}
