namespace Lifeboat.Postgres.Subjects;

/// <summary>One direction of a link: the rows of <see cref="To"/> whose <see cref="ToColumns"/> equal the <see cref="FromColumns"/> of subject rows of <see cref="From"/>.</summary>
internal sealed record SubjectStep(string From, IReadOnlyList<string> FromColumns, string To, IReadOnlyList<string> ToColumns, bool AsText, bool Upward)
{
    /// <summary>How the path names this step: the columns of the table reached (e.g. <c>public.orders.user_id</c>).</summary>
    public string Label => new SubjectKey(To, ToColumns) + (Upward ? $" (referenced by {new SubjectKey(From, FromColumns)})" : "");
}

/// <summary>The links of a snapshot's schema as steps, and the tables they reach from a root, each with the path of its first reaching.</summary>
internal sealed class SubjectGraph
{
    private SubjectGraph(List<SubjectStep> steps, List<(string Table, IReadOnlyList<string> Path)> reached, List<SubjectLink> links)
    {
        Steps = steps;
        Reached = reached;
        Links = links;
    }

    /// <summary>Every step between reached tables, in the order they were found.</summary>
    public IReadOnlyList<SubjectStep> Steps { get; }

    /// <summary>The tables reached from the root (the root first), breadth first, each with the path to it.</summary>
    public IReadOnlyList<(string Table, IReadOnlyList<string> Path)> Reached { get; }

    /// <summary>Every link considered (foreign keys and declared links).</summary>
    public IReadOnlyList<SubjectLink> Links { get; }

    /// <summary>
    /// Walks the links from <paramref name="root"/>: each link from a referenced table to its referencing one, and a
    /// two-way link back too. <paramref name="notes"/> receives what the caller should know (a two-way key that is no foreign key).
    /// </summary>
    public static SubjectGraph Walk(string root, IReadOnlyList<SubjectLink> foreignKeys, SubjectQuery query, List<string> notes)
    {
        var links = new List<SubjectLink>();
        foreach (var fk in foreignKeys)
            links.Add(query.TwoWay.Any(k => k.SameAs(fk.Referencing)) ? fk with { TwoWay = true } : fk);
        foreach (var key in query.TwoWay.Where(k => !foreignKeys.Any(fk => fk.Referencing.SameAs(k))))
            notes.Add($"two-way {key}: the snapshot has no foreign key on these columns (declare it under links with two-way: true)");
        links.AddRange(query.Links);

        var all = new List<SubjectStep>();
        foreach (var link in links)
        {
            all.Add(new SubjectStep(link.Referenced.Table, link.Referenced.Columns, link.Referencing.Table, link.Referencing.Columns, link.Declared, Upward: false));
            if (link.TwoWay)
                all.Add(new SubjectStep(link.Referencing.Table, link.Referencing.Columns, link.Referenced.Table, link.Referenced.Columns, link.Declared, Upward: true));
        }

        var reached = new List<(string Table, IReadOnlyList<string> Path)> { (root, [root]) };
        var paths = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [root] = [root] };
        var steps = new List<SubjectStep>();
        for (var i = 0; i < reached.Count; i++)
        {
            var (table, path) = reached[i];
            foreach (var step in all.Where(s => s.From == table))
            {
                steps.Add(step);
                if (paths.ContainsKey(step.To))
                    continue;
                IReadOnlyList<string> next = [.. path, step.Label];
                paths[step.To] = next;
                reached.Add((step.To, next));
            }
        }
        return new SubjectGraph(steps, reached, links);
    }

    /// <summary>
    /// The reached tables in foreign-key order (a referenced table before those referencing it), ties and cycles
    /// in the order they were reached.
    /// </summary>
    public List<string> InLoadOrder(IEnumerable<string> tables)
    {
        var pending = tables.ToList();
        var rank = Reached.Select((r, i) => (r.Table, i)).ToDictionary(x => x.Table, x => x.i, StringComparer.Ordinal);
        pending.Sort((a, b) => rank[a].CompareTo(rank[b]));
        var ordered = new List<string>();
        while (pending.Count > 0)
        {
            // the first table none of whose parents (other than itself) is still pending; in a cycle, the first
            var next = pending.FirstOrDefault(t => !Links.Any(l => l.Referencing.Table == t && l.Referenced.Table != t && pending.Contains(l.Referenced.Table)))
                ?? pending[0];
            ordered.Add(next);
            pending.Remove(next);
        }
        return ordered;
    }
}
