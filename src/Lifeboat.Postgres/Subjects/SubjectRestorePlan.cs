using Npgsql;

namespace Lifeboat.Postgres.Subjects;

public sealed partial class SubjectRows
{
    /// <summary>
    /// One table of a subject restore: the staged rows (temporary table <c>incoming</c>, each with an action:
    /// insert, unchanged, differs) matched to the live table, then written.
    /// </summary>
    private sealed class TablePlan(NpgsqlConnection connection, string table, TargetShape shape, string incoming)
    {
        private IReadOnlyList<string> KeyColumns => shape.Key.Count > 0 ? shape.Key : shape.Columns;

        /// <summary><c>t.k = i.k AND ...</c> (by the primary key), or every column as text (no primary key).</summary>
        private string Match => shape.Key.Count > 0
            ? string.Join(" AND ", shape.Key.Select(k => $"t.{Sql.Ident(k)} = i.{Sql.Ident(k)}"))
            : string.Join(" AND ", shape.Columns.Select(c => $"t.{Sql.Ident(c)}::text IS NOT DISTINCT FROM i.{Sql.Ident(c)}::text"));

        private static string RowText(string alias, IReadOnlyList<string> columns) =>
            "ROW(" + string.Join(", ", columns.Select(c => $"{alias}.{Sql.Ident(c)}")) + ")::text";

        /// <summary><c>(id)=(value)</c> of a staged row.</summary>
        private string KeyText => Sql.Literal("(" + string.Join(", ", KeyColumns) + ")=(") + " || " +
            string.Join(" || ', ' || ", KeyColumns.Select(c => $"coalesce(i.{Sql.Ident(c)}::text, 'NULL')")) + " || ')'";

        /// <summary>Marks each staged row present in the live table: unchanged (same values) or differs.</summary>
        public async Task ClassifyAsync(CancellationToken cancellationToken)
        {
            var live = shape.Columns.Count == 0 ? "''" : RowText("t", shape.Columns);
            var staged = shape.Columns.Count == 0 ? "''" : RowText("i", shape.Columns);
            await ExecuteAsync($"""
                UPDATE {incoming} i SET lifeboat_action = CASE WHEN {live} IS NOT DISTINCT FROM {staged} THEN 'unchanged' ELSE 'differs' END
                FROM {shape.Qualified} t WHERE {Match}
                """, cancellationToken);
        }

        /// <summary>The key of the first staged row whose key the live table holds with other values.</summary>
        public Task<string?> FirstConflictAsync(CancellationToken cancellationToken) =>
            CatalogReader.ScalarAsync<string>(connection, $"SELECT {KeyText} FROM {incoming} i WHERE lifeboat_action = 'differs' ORDER BY i.ctid LIMIT 1", cancellationToken);

        /// <summary>Every staged row with what the restore does to it.</summary>
        public async Task<List<SubjectChange>> ChangesAsync(SubjectConflict onConflict, CancellationToken cancellationToken)
        {
            var differs = onConflict == SubjectConflict.Update ? "update" : "skip";
            await using var command = new NpgsqlCommand(
                $"SELECT CASE lifeboat_action WHEN 'differs' THEN {Sql.Literal(differs)} ELSE lifeboat_action END, {KeyText} FROM {incoming} i ORDER BY i.ctid", connection);
            var changes = new List<SubjectChange>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                changes.Add(new SubjectChange(table, reader.GetString(0), reader.GetString(1)));
            return changes;
        }

        /// <summary>Overwrites the differing rows (update), then inserts the absent ones.</summary>
        public async Task<SubjectTableRestored> ApplyAsync(SubjectConflict onConflict, CancellationToken cancellationToken)
        {
            var staged = await CatalogReader.ScalarAsync<long>(connection, $"SELECT count(*) FROM {incoming}", cancellationToken);
            long updated = 0;
            var others = shape.Columns.Where(c => !shape.Key.Contains(c)).ToList();
            if (onConflict == SubjectConflict.Update && shape.Key.Count > 0 && others.Count > 0)
            {
                updated = await ExecuteAsync($"""
                    UPDATE {shape.Qualified} t SET {string.Join(", ", others.Select(c => $"{Sql.Ident(c)} = i.{Sql.Ident(c)}"))}
                    FROM {incoming} i WHERE {Match} AND i.lifeboat_action = 'differs'
                    """, cancellationToken);
            }
            var columns = Sql.ColumnList(shape.Columns);
            var inserted = await ExecuteAsync($"""
                INSERT INTO {shape.Qualified} {columns} OVERRIDING SYSTEM VALUE
                SELECT {string.Join(", ", shape.Columns.Select(c => "i." + Sql.Ident(c)))} FROM {incoming} i WHERE i.lifeboat_action = 'insert' ORDER BY i.ctid
                """, cancellationToken);
            return new SubjectTableRestored(table, inserted, updated, staged - inserted - updated);
        }

        private async Task<long> ExecuteAsync(string sql, CancellationToken cancellationToken)
        {
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                return await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new SubjectConflictException(table, ex.Detail ?? ex.ConstraintName ?? "",
                    $"a row of the subject breaks the unique key {ex.ConstraintName} of {table} in the target ({ex.Detail ?? ex.MessageText}): nothing was restored. " +
                    "Another live row holds that value: change or remove it, then restore again", ex);
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("23", StringComparison.Ordinal))
            {
                throw new RestoreFailedException(table,
                    $"the subject's rows of {table} break a constraint of the target ({ex.ConstraintName}: {ex.MessageText}{(ex.Detail is null ? "" : "; " + ex.Detail)}): nothing was restored. " +
                    "A row refers to one that is neither in the target nor in the subject (declare that key two-way in the subject file to bring its parent too)", ex);
            }
        }
    }
}
