namespace Lifeboat.Postgres;

/// <summary>Applies the pg_dump-style filters of <see cref="CaptureOptions"/> to the catalog.</summary>
internal sealed class TableSelection
{
    private readonly List<NamePattern> _schemas;
    private readonly List<NamePattern> _excludeSchemas;
    private readonly List<NamePattern> _tables;
    private readonly List<NamePattern> _excludeTables;
    private readonly List<NamePattern> _excludeTableData;
    private readonly List<NamePattern> _dataOnly;

    public TableSelection(CaptureOptions options)
    {
        _schemas = options.Schemas.Select(NamePattern.Schema).ToList();
        _excludeSchemas = options.ExcludeSchemas.Select(NamePattern.Schema).ToList();
        _tables = options.Tables.Select(NamePattern.Table).ToList();
        _excludeTables = options.ExcludeTables.Select(NamePattern.Table).ToList();
        _excludeTableData = options.ExcludeTableData.Select(NamePattern.Table).ToList();
        _dataOnly = options.DataOnlyTables.Select(NamePattern.Table).ToList();
    }

    /// <summary>True when --schema or --table narrowed the selection (pg_dump then skips large objects by default).</summary>
    public bool HasIncludeFilters => _schemas.Count > 0 || _tables.Count > 0;

    public bool IncludesSchema(string schema)
        => (_schemas.Count == 0 || _schemas.Any(p => p.MatchesSchema(schema))) && !_excludeSchemas.Any(p => p.MatchesSchema(schema));

    public bool IncludesTable(string schema, string name, bool visible)
    {
        if (_excludeTables.Any(p => p.MatchesTable(schema, name, visible)))
            return false;
        if (IsDataOnly(schema, name, visible))
            return true;
        return _tables.Count > 0
            ? _tables.Any(p => p.MatchesTable(schema, name, visible))
            : IncludesSchema(schema);
    }

    /// <summary>True for a table whose rows are captured but whose definition is not (see <see cref="CaptureOptions.DataOnlyTables"/>).</summary>
    public bool IsDataOnly(string schema, string name, bool visible) => _dataOnly.Any(p => p.MatchesTable(schema, name, visible));

    public bool ExcludesData(string schema, string name, bool visible) => _excludeTableData.Any(p => p.MatchesTable(schema, name, visible));

    /// <summary>pg_dump arguments that select the same objects.</summary>
    public IEnumerable<string> PgDumpArguments(CaptureOptions options)
    {
        foreach (var p in options.Schemas)
            yield return "--schema=" + p;
        foreach (var p in options.ExcludeSchemas)
            yield return "--exclude-schema=" + p;
        foreach (var p in options.Tables)
            yield return "--table=" + p;
        foreach (var p in options.ExcludeTables)
            yield return "--exclude-table=" + p;
    }
}
