using Lifeboat.Postgres.Subjects;

namespace Lifeboat.Postgres.Tests;

public sealed class SubjectGraphTests
{
    private static SubjectLink Fk(string child, string[] childColumns, string parent, string[] parentColumns) =>
        new(new SubjectKey(child, childColumns), new SubjectKey(parent, parentColumns), Declared: false);

    [Fact]
    public void Foreign_keys_are_read_from_pg_restores_script_with_quoted_names_and_composite_keys()
    {
        const string script = """"
            --
            -- Name: orders orders_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
            --
            SET default_tablespace = '';
            ALTER TABLE ONLY public.orders
                ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

            ALTER TABLE ONLY "My Schema"."Line ""Items"""
                ADD CONSTRAINT "fk, odd" FOREIGN KEY (order_id, "Line") REFERENCES "My Schema".orders(id, "Line") NOT VALID;

            ALTER TABLE public.measurements
                ADD CONSTRAINT measurements_sensor_fkey FOREIGN KEY (sensor_id) REFERENCES public.sensors(id);
            """";

        var keys = ForeignKeyScript.Parse(script);

        keys.Should().BeEquivalentTo(new[]
        {
            Fk("public.orders", ["user_id"], "auth.users", ["id"]),
            Fk("My Schema.Line \"Items\"", ["order_id", "Line"], "My Schema.orders", ["id", "Line"]),
            Fk("public.measurements", ["sensor_id"], "public.sensors", ["id"]),
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_walk_ends_on_cycles_and_self_references_and_names_the_first_path_to_each_table()
    {
        SubjectLink[] keys =
        [
            Fk("public.orders", ["user_id"], "auth.users", ["id"]),
            Fk("public.items", ["order_id"], "public.orders", ["id"]),
            Fk("public.comments", ["parent_id"], "public.comments", ["id"]),
            Fk("public.comments", ["user_id"], "auth.users", ["id"]),
            Fk("auth.users", ["last_order"], "public.orders", ["id"]), // a cycle back to the root
        ];

        var graph = SubjectGraph.Walk("auth.users", keys, new SubjectQuery { Root = "auth.users", Where = "true" }, []);

        graph.Reached.Select(r => (r.Table, string.Join(" → ", r.Path))).Should().Equal(
            ("auth.users", "auth.users"),
            ("public.orders", "auth.users → public.orders.user_id"),
            ("public.comments", "auth.users → public.comments.user_id"),
            ("public.items", "auth.users → public.orders.user_id → public.items.order_id"));
        graph.InLoadOrder(graph.Reached.Select(r => r.Table)).Should().Equal("auth.users", "public.orders", "public.comments", "public.items");
    }

    [Fact]
    public void A_two_way_key_is_followed_to_the_parent_and_an_unknown_one_is_noted()
    {
        SubjectLink[] keys = [Fk("public.orders", ["user_id"], "auth.users", ["id"]), Fk("public.orders", ["shop_id"], "public.shops", ["id"])];
        var notes = new List<string>();
        var query = new SubjectQuery
        {
            Root = "auth.users",
            Where = "true",
            TwoWay = [new SubjectKey("public.orders", ["shop_id"]), new SubjectKey("public.orders", ["nothing"])],
            Links = [new SubjectLink(new SubjectKey("public.notes", ["user_id"]), new SubjectKey("auth.users", ["id"]), Declared: true)],
        };

        var graph = SubjectGraph.Walk("auth.users", keys, query, notes);

        graph.Reached.Select(r => r.Table).Should().Equal("auth.users", "public.orders", "public.notes", "public.shops");
        graph.Reached[3].Path[^1].Should().Be("public.shops.id (referenced by public.orders.shop_id)");
        graph.InLoadOrder(graph.Reached.Select(r => r.Table)).Should().Equal("auth.users", "public.notes", "public.shops", "public.orders");
        notes.Should().ContainSingle().Which.Should().Contain("public.orders.nothing");
    }
}
