using Lifeboat.Operations.Subjects;
using Lifeboat.Postgres.Subjects;
using Lifeboat.Repository;

namespace Lifeboat.Operations.Tests;

public sealed class SubjectFileTests
{
    [Fact]
    public void The_documented_example_parses()
    {
        var file = SubjectFile.Parse("""
            links:
              - from: public.notes.user_id
                to: auth.users.id
              - from: public.files(owner_kind, owner_id)
                to: public.owners(kind, id)
                two-way: true
            two-way:
              - public.orders.shop_id
            """, "subject.yaml");

        file.Links.Should().BeEquivalentTo(new[]
        {
            new SubjectLink(new SubjectKey("public.notes", ["user_id"]), new SubjectKey("auth.users", ["id"]), Declared: true),
            new SubjectLink(new SubjectKey("public.files", ["owner_kind", "owner_id"]), new SubjectKey("public.owners", ["kind", "id"]), Declared: true, TwoWay: true),
        }, o => o.WithStrictOrdering());
        file.TwoWay.Should().BeEquivalentTo(new[] { new SubjectKey("public.orders", ["shop_id"]) });
    }

    [Theory]
    [InlineData("links:\n  - from: public.notes\n    to: auth.users.id\n", "subject.yaml:2:11: 'public.notes' is not schema.table.column")]
    [InlineData("links:\n  - from: public.notes.user_id\n", "subject.yaml:2:5: a link needs both from and to")]
    [InlineData("links:\n  - from: public.a(x, y)\n    to: public.b.id\n", "subject.yaml:2:5: public.a(x, y) has 2 column(s) and public.b.id 1")]
    [InlineData("link:\n  - from: a.b.c\n", "subject.yaml:1:1: unknown key 'link' (expected links, two-way)")]
    [InlineData("links:\n  - from: a.b.c\n    to: d.e.f\n    two-way: maybe\n", "subject.yaml:4:14: two-way is true or false")]
    [InlineData("links: [\n", "subject.yaml:2:1: not valid YAML")]
    public void An_invalid_subject_file_is_refused_naming_the_line_and_column(string text, string message)
    {
        var parse = () => SubjectFile.Parse(text, "subject.yaml");

        parse.Should().Throw<InvalidRequestException>().Which.Message.Should().StartWith(message);
    }
}
