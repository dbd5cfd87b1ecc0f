using System.Reflection;
using System.Text.RegularExpressions;

namespace Lifeboat.Cli.Tests;

/// <summary>The README's exit-code table is the users' copy of <see cref="ExitCodes"/>: the two must not drift.</summary>
public sealed partial class ExitCodeTableTests
{
    [Fact]
    public void The_readme_exit_code_table_lists_exactly_the_codes_of_ExitCodes()
    {
        var constants = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);

        var documented = ReadmeTable();

        documented.Should().OnlyHaveUniqueItems("each code has one row");
        documented.Order().Should().Equal(constants.Values.Distinct().Order(),
            $"README.md's table and ExitCodes must name the same codes (ExitCodes: {string.Join(", ", constants.Select(c => $"{c.Key}={c.Value}"))})");
    }

    private static List<int> ReadmeTable()
    {
        var readme = File.ReadAllLines(Path.Combine(Lifeboat.Testing.Emulators.TestEnvironment.RepositoryRoot, "README.md"));
        var start = Array.IndexOf(readme, "## Exit codes");
        start.Should().BeGreaterThan(0, "README.md has an '## Exit codes' section");
        return [.. readme.Skip(start + 1).TakeWhile(line => !line.StartsWith("## ", StringComparison.Ordinal))
            .Select(line => TableRow().Match(line)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|")]
    private static partial Regex TableRow();
}
