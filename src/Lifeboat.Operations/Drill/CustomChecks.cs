using System.Globalization;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;

namespace Lifeboat.Operations.Drill;

/// <summary>The checks from the checks file: (6) required tables exist and hold rows, (7) custom SQL assertions.</summary>
internal static class CustomChecks
{
    /// <summary>Check 6.</summary>
    public static async Task<EvidenceCheck> RequiredTablesAsync(DatabaseCatalog catalog, DrillChecksFile checks, CancellationToken cancellationToken)
    {
        await catalog.SetStatementTimeoutAsync(checks.Timeout, cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var required in checks.RequiredTables)
        {
            var expected = $"≥ {required.MinRows} rows";
            var (table, error) = await catalog.FindTableAsync(required.Table, cancellationToken);
            if (error is not null)
            {
                items.Add(new EvidenceItem(required.Table, false, expected, "error", error));
                continue;
            }

            if (table is null)
            {
                items.Add(new EvidenceItem(required.Table, false, expected, "missing", "no such table in the restored database"));
                continue;
            }

            var limit = Math.Max(1, required.MinRows);
            var (rows, countError) = await catalog.CountRowsAsync(table, limit, cancellationToken);
            if (countError is not null)
            {
                items.Add(new EvidenceItem(required.Table, false, expected, "error", countError));
                continue;
            }

            var shown = rows >= limit && limit > 1 ? $"≥ {rows} rows" : $"{rows} rows";
            items.Add(new EvidenceItem(required.Table, rows >= Math.Max(1, required.MinRows), expected, shown, required.MinRows == 0 ? "exists" : null));
        }

        var failed = items.Where(i => !i.Passed).ToList();
        return new EvidenceCheck("required-tables", "Required tables exist and are not empty", failed.Count == 0,
            failed.Count == 0 ? $"{items.Count} required table(s): all present with rows" : $"{failed.Count} of {items.Count} missing or too small: {DatabaseChecks.Names(failed)}", items);
    }

    /// <summary>Check 7.</summary>
    public static async Task<EvidenceCheck> AssertionsAsync(DatabaseCatalog catalog, DrillChecksFile checks, CancellationToken cancellationToken)
    {
        await catalog.SetStatementTimeoutAsync(checks.Timeout, cancellationToken);
        var items = new List<EvidenceItem>();
        foreach (var assertion in checks.Assertions)
        {
            var expected = assertion.Expect ?? Range(assertion);
            var (values, error) = await catalog.FirstRowAsync(assertion.Sql, cancellationToken);
            if (error is not null)
            {
                items.Add(new EvidenceItem(assertion.Name, false, expected, "error", $"{error} (sql: {assertion.Sql})"));
                continue;
            }

            if (values.Length == 0)
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
}
