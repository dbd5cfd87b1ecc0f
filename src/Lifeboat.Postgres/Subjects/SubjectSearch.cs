using Npgsql;

namespace Lifeboat.Postgres.Subjects;

public sealed partial class SubjectRows
{
    /// <summary>The search itself: loads the reached tables' streams, evaluates the WHERE, follows the steps until nothing grows.</summary>
    private sealed class Search(NpgsqlConnection connection, IStreamSource source, BackupManifest manifest, SubjectGraph graph, List<string> notes)
    {
        private readonly Dictionary<string, string> _sets = new(StringComparer.Ordinal);
        private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);

        public async Task<(Dictionary<string, string> Sets, IReadOnlyList<SubjectTable> Tables)> RunAsync(TableEntry root, string where, CancellationToken cancellationToken)
        {
            var rootName = graph.Reached[0].Table;
            // the root first: a WHERE that is not valid fails before the other tables are read
            await LoadAsync(root, cancellationToken);
            _sets[rootName] = await CreateSetAsync(cancellationToken);
            var matched = await RootRowsAsync(root, where, cancellationToken);
            if (matched == 0)
                throw new SubjectNotFoundException($"no row of {rootName} in this snapshot matches the WHERE: nothing to show or export");

            var tables = new Dictionary<string, TableEntry>(StringComparer.Ordinal) { [rootName] = root };
            foreach (var (name, path) in graph.Reached.Skip(1))
            {
                if (Entry(name) is not { } entry)
                {
                    notes.Add($"{name} (reached by {path[^1]}) is not in this snapshot: its rows, if any, are not included");
                    continue;
                }
                if (entry.DataExcluded)
                {
                    notes.Add($"{name} (reached by {path[^1]}) was backed up without its data (--exclude-table-data): its rows are not included");
                    continue;
                }
                await LoadAsync(entry, cancellationToken);
                tables[name] = entry;
                _sets[name] = await CreateSetAsync(cancellationToken);
            }

            await FollowAsync(rootName, cancellationToken);

            var result = new List<SubjectTable>();
            foreach (var name in graph.InLoadOrder(tables.Keys))
            {
                var rows = await CatalogReader.ScalarAsync<long>(connection, $"SELECT count(*) FROM {_sets[name]}", cancellationToken);
                result.Add(new SubjectTable(name, rows, graph.Reached.First(r => r.Table == name).Path, tables[name].Columns));
            }
            return (_sets, result);
        }

        /// <summary>Follows every step from a table whose set grew, until none grows (each set only grows, and is finite).</summary>
        private async Task FollowAsync(string root, CancellationToken cancellationToken)
        {
            var grown = new Queue<string>([root]);
            var queued = new HashSet<string>(StringComparer.Ordinal) { root };
            while (grown.TryDequeue(out var from))
            {
                queued.Remove(from);
                foreach (var step in graph.Steps.Where(s => s.From == from && _sets.ContainsKey(s.To)))
                {
                    if (await FollowAsync(step, cancellationToken) > 0 && queued.Add(step.To))
                        grown.Enqueue(step.To);
                }
            }
        }

        private async Task<long> FollowAsync(SubjectStep step, CancellationToken cancellationToken)
        {
            var on = string.Join(" AND ", step.ToColumns.Zip(step.FromColumns, (to, from) => step.AsText
                ? $"c.{Sql.Ident(to)}::text = p.{Sql.Ident(from)}::text"
                : $"c.{Sql.Ident(to)} = p.{Sql.Ident(from)}"));
            var into = _sets[step.To];
            var sql = $"""
                INSERT INTO {into} (o, t)
                SELECT DISTINCT c.tableoid, c.ctid FROM {Qualified(step.To)} c JOIN {Qualified(step.From)} p ON {on}
                WHERE (p.tableoid, p.ctid) IN (SELECT o, t FROM {_sets[step.From]})
                  AND (c.tableoid, c.ctid) NOT IN (SELECT o, t FROM {into})
                """;
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                return await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex)
            {
                throw new InvalidSubjectQueryException($"following {step.Label} from {step.From} failed: {ex.MessageText}", ex);
            }
        }

        private async Task<long> RootRowsAsync(TableEntry root, string where, CancellationToken cancellationToken)
        {
            try
            {
                await using var command = new NpgsqlCommand(
                    $"INSERT INTO {_sets[graph.Reached[0].Table]} (o, t) SELECT tableoid, ctid FROM {root.QualifiedName} WHERE ({where})", connection);
                return await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex)
            {
                throw new InvalidSubjectQueryException($"the WHERE is not valid for {graph.Reached[0].Table}: {ex.MessageText}", ex);
            }
        }

        /// <summary>A temporary table for the subject's rows of one table (by table oid and ctid).</summary>
        private async Task<string> CreateSetAsync(CancellationToken cancellationToken)
        {
            var name = "lifeboat_subject_" + _sets.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await CatalogReader.ExecuteAsync(connection, $"CREATE TEMP TABLE {name} (o oid NOT NULL, t tid NOT NULL)", cancellationToken);
            return name;
        }

        /// <summary>Loads a table's stream (a partitioned table's: its leaves') into the scratch database, and analyzes it.</summary>
        private async Task LoadAsync(TableEntry table, CancellationToken cancellationToken)
        {
            var leaves = table.Stream is null ? await LeavesAsync(table, cancellationToken) : [table];
            foreach (var leaf in leaves.Where(l => _loaded.Add(l.QualifiedName)))
            {
                await new PostgresRestore().LoadTableAsync(connection, source, leaf, leaf.QualifiedName, cancellationToken);
                await CatalogReader.ExecuteAsync(connection, $"ANALYZE {leaf.QualifiedName}", cancellationToken);
            }
        }

        private async Task<List<TableEntry>> LeavesAsync(TableEntry table, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand("""
                SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_partition_tree($1::regclass) p
                JOIN pg_catalog.pg_class c ON c.oid = p.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE p.isleaf
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.QualifiedName });
            var leaves = new List<TableEntry>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (Entry(reader.GetString(0) + "." + reader.GetString(1)) is { Stream: not null } leaf)
                    leaves.Add(leaf);
            }
            return leaves;
        }

        private TableEntry? Entry(string name) => manifest.Tables.FirstOrDefault(t => $"{t.Schema}.{t.Name}" == name);
    }
}
