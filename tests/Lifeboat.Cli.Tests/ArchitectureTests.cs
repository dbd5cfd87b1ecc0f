using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// The dependency rules of docs/architecture.md, read from the built assemblies' metadata (what each one
/// really references, not what its project file allows), so that a change breaking a rule fails here.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly string[] Backends = ["AWSSDK.S3", "AWSSDK.Core", "Azure.Storage.Blobs", "Azure.Core", "Renci.SshNet"];

    [Theory]
    [InlineData("Lifeboat.Storage", new string[] { })]
    [InlineData("Lifeboat.Postgres", new string[] { })]
    [InlineData("Lifeboat.Repository", new[] { "Lifeboat.Storage" })]
    [InlineData("Lifeboat.Operations", new[] { "Lifeboat.Storage", "Lifeboat.Repository", "Lifeboat.Postgres" })]
    [InlineData("Lifeboat.Agent", new[] { "Lifeboat.Storage", "Lifeboat.Repository", "Lifeboat.Postgres", "Lifeboat.Operations" })]
    public void Each_layer_references_only_the_layers_below_it(string assembly, string[] allowed)
    {
        var ours = References(assembly).Where(r => r.StartsWith("Lifeboat.", StringComparison.Ordinal));

        ours.Should().BeSubsetOf(allowed, $"{assembly} may use only {string.Join(", ", allowed.DefaultIfEmpty("nothing of ours"))} (docs/architecture.md)");
    }

    [Theory]
    [InlineData("Lifeboat.Storage")]
    [InlineData("Lifeboat.Repository")]
    [InlineData("Lifeboat.Postgres")]
    [InlineData("Lifeboat.Operations")]
    [InlineData("Lifeboat.Agent")]
    public void No_layer_below_the_cli_names_a_storage_backend_sdk(string assembly) =>
        References(assembly).Should().NotIntersectWith(Backends, "only the Lifeboat.Storage.* backend projects know their SDK");

    [Theory]
    [InlineData("Lifeboat.Operations")]
    [InlineData("Lifeboat.Repository")]
    [InlineData("Lifeboat.Agent")]
    [InlineData("lifeboat")]
    public void Only_the_postgres_project_uses_npgsql(string assembly) =>
        References(assembly).Should().NotContain("Npgsql", "SQL and the driver live in Lifeboat.Postgres; the layers above call it through its own types");

    [Fact]
    public void The_cli_reaches_the_agent_and_nothing_of_ours_references_the_cli()
    {
        References("lifeboat").Should().Contain("Lifeboat.Agent", "config check reads the plan file through the agent's parser");
        foreach (var assembly in new[] { "Lifeboat.Storage", "Lifeboat.Repository", "Lifeboat.Postgres", "Lifeboat.Operations", "Lifeboat.Agent" })
        {
            References(assembly).Should().NotContain("lifeboat", $"{assembly} is below the CLI");
        }
    }

    [Fact]
    public void The_program_ships_no_test_double() =>
        References("lifeboat").Should().NotContain("Lifeboat.Storage.Testing", "FaultInjectingStorage and InMemoryStorage are for tests only");

    [Theory]
    [InlineData("PostgresCapture", "DatabaseBackup prepares, runs and discards the capture")]
    [InlineData("PreparedCapture", "DatabaseBackup prepares, runs and discards the capture")]
    [InlineData("PostgresRestore", "DatabaseRestore and DrillRun load the snapshot")]
    [InlineData("EarlyConnection", "DatabaseRestore connects to the target while the repository opens")]
    [InlineData("PgToolset", "the use cases find pg_dump and pg_restore (and read their versions early)")]
    [InlineData("StagedDatabase", "DatabaseRestore creates and commits the staging database")]
    [InlineData("ScratchDatabase", "DrillRun creates and drops the scratch database")]
    public void The_program_leaves_the_database_machinery_to_the_use_cases(string type, string because) =>
        TypeReferences("lifeboat").Should().NotContain("Lifeboat.Postgres." + type, because + "; the CLI passes a request, so the agent reuses it all (issue 18)");

    private static IEnumerable<string> TypeReferences(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(Path.Combine(AppContext.BaseDirectory, assembly + ".dll")));
        var reader = pe.GetMetadataReader();
        return [.. reader.TypeReferences.Select(h => reader.GetTypeReference(h)).Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name))];
    }

    private static IEnumerable<string> References(string assembly)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        File.Exists(path).Should().BeTrue($"{assembly}.dll is built beside the tests");
        using var pe = new PEReader(File.OpenRead(path));
        var reader = pe.GetMetadataReader();
        return [.. reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name))];
    }
}
