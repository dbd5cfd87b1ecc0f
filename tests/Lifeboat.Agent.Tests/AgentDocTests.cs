using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Tests;

/// <summary>docs/agent.md's full example is a plan file users copy: it must stay valid.</summary>
public sealed class AgentDocTests
{
    [Fact]
    public void The_full_example_of_docs_agent_md_is_a_valid_plan_file()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "agent.md"));
        var start = doc.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var example = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];

        var file = PlanFileReader.Parse(example, "docs/agent.md");

        file.Plans.Single().Jobs().Select(j => j.Kind).Should().Equal("backup", "check", "drill", "prune");
        file.Channels.Should().HaveCount(6);
    }

    [Fact]
    public void A_cron_macro_reads_as_a_schedule() =>
        PlanFileReader.Parse(PlanFileSamples.WithBackup("schedule: '@daily'"), "f").Plans.Single().Backup.Schedule.Schedule.Text.Should().Be("@daily");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lifeboat.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Lifeboat.slnx above {AppContext.BaseDirectory}");
    }
}
