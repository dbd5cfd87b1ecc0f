using System.Globalization;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;
using Npgsql;

namespace Lifeboat.Operations.Drill;

/// <summary>The checks from the checks file: (6) required tables exist and hold rows, (7) custom SQL assertions.</summary>
internal static class CustomChecks
{
    /// <summary>Check 6.</summary>
    public static async Task<EvidenceCheck> RequiredTablesAsync(NpgsqlConnection connection, DrillChecksFile checks, CancellationToken cancellationToken)
    {
        await SetTimeoutAsync(connection, checks.Timeout, cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var required in checks.RequiredTables)
        {
            var expected = $"≥ {required.MinRows} rows";
            var found = await DatabaseChecks.RowInSavepointAsync(connection,
                $"SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass({Sql.Literal(required.Table)})",
                cancellationToken);
            if (found.Error is { } error)
            {
                items.Add(new EvidenceItem(required.Table, false, expected, "error", error));
                continue;
            }

            if (found.Values is not [string qualified])
            {
                items.Add(new EvidenceItem(required.Table, false, expected, "missing", "no such table in the restored database"));
                continue;
            }

            var limit = Math.Max(1, required.MinRows);
            var count = await DatabaseChecks.ScalarInSavepointAsync(connection, $"SELECT count(*) FROM (SELECT 1 FROM {qualified} LIMIT {limit}) s", cancellationToken);
            if (count.Error is { } countError)
            {
                items.Add(new EvidenceItem(required.Table, false, expected, "error", countError));
                continue;
            }

            var rows = Convert.ToInt64(count.Value, CultureInfo.InvariantCulture);
            var shown = rows >= limit && limit > 1 ? $"≥ {rows} rows" : $"{rows} rows";
            items.Add(new EvidenceItem(required.Table, rows >= Math.Max(1, required.MinRows), expected, shown, required.MinRows == 0 ? "exists" : null));
        }

        var failed = items.Where(i => !i.Passed).ToList();
        return new EvidenceCheck("required-tables", "Required tables exist and are not empty", failed.Count == 0,
            failed.Count == 0 ? $"{items.Count} required table(s): all present with rows" : $"{failed.Count} of {items.Count} missing or too small: {DatabaseChecks.Names(failed)}", items);
    }

    /// <summary>Check 7.</summary>
    public static async Task<EvidenceCheck> AssertionsAsync(NpgsqlConnection connection, DrillChecksFile checks, CancellationToken cancellationToken)
    {
        await SetTimeoutAsync(connection, checks.Timeout, cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var assertion in checks.Assertions)
        {
            var expected = assertion.Expect ?? Range(assertion);
            var result = await DatabaseChecks.RowInSavepointAsync(connection, assertion.Sql, cancellationToken);
            if (result.Error is { } error)
            {
                items.Add(new EvidenceItem(assertion.Name, false, expected, "error", $"{error} (sql: {assertion.Sql})"));
                continue;
            }

            if (result.Values is not { Length: > 0 } values)
            {
                items.Add(new EvidenceItem(assertion.Name, false, expected, "no rows", $"sql: {assertion.Sql}"));
                continue;
            }

            var actual = Text(values[0]);
            items.Add(new EvidenceItem(assertion.Name, Passes(assertion, actual), expected, actual, $"sql: {assertion.Sql}"));
        }

        var failed = items.Where(i => !i.Passed).ToList();
        return new EvidenceCheck("assertions", "Custom SQL assertions hold", failed.Count == 0,
            failed.Count == 0 ? $"{items.Count} assertion(s): all hold" : $"{failed.Count} of {items.Count} assertion(s) failed: {DatabaseChecks.Names(failed)}", items);
    }

    /// <summary>Whether <paramref name="actual"/> satisfies the assertion: numbers compare as numbers, booleans as t/true, the rest as text.</summary>
    public static bool Passes(SqlAssertion assertion, string actual)
    {
        var isNumber = decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var number);
        if (assertion.Expect is not { } expect)
        {
            return isNumber && (assertion.Min is null || number >= assertion.Min) && (assertion.Max is null || number <= assertion.Max);
        }

        if (isNumber && decimal.TryParse(expect, NumberStyles.Float, CultureInfo.InvariantCulture, out var expectedNumber))
        {
            return number == expectedNumber;
        }

        return Bool(actual) is { } a && Bool(expect) is { } e ? a == e : string.Equals(actual, expect, StringComparison.Ordinal);
    }

    private static bool? Bool(string text) => text.ToLowerInvariant() switch
    {
        "t" or "true" => true,
        "f" or "false" => false,
        _ => null,
    };

    private static string Text(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Range(SqlAssertion assertion) => (assertion.Min, assertion.Max) switch
    {
        ({ } min, { } max) => $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
        ({ } min, null) => $"≥ {min.ToString(CultureInfo.InvariantCulture)}",
        (null, { } max) => $"≤ {max.ToString(CultureInfo.InvariantCulture)}",
        _ => "",
    };

    private static Task SetTimeoutAsync(NpgsqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken) =>
        DatabaseChecks.ExecuteAsync(connection, $"SET LOCAL statement_timeout = {(long)timeout.TotalMilliseconds}", cancellationToken);
}
