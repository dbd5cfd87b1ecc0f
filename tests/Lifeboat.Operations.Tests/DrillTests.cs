using System.Security.Cryptography;
using Lifeboat.Operations.Drill;
using Lifeboat.Operations.Evidence;
using Lifeboat.Operations.Tests.Support;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Evidence;
using Lifeboat.Repository.Format;

namespace Lifeboat.Operations.Tests;

public sealed class DrillTests(DrillFixture fixture) : IClassFixture<DrillFixture>
{
    private static readonly string[] AllChecks = ["row-counts", "content-hashes", "foreign-keys", "row-level-security", "sequences", "required-tables", "assertions"];

    private static readonly DrillChecksFile Checks = DrillChecksFile.Parse("""
        required_tables:
          - public.orders
          - { table: auth.users, min_rows: 300 }
        assertions:
          - name: no order item has a non-positive quantity
            sql: SELECT count(*) FROM public.order_items WHERE qty <= 0
            expect: 0
          - name: a plausible number of orders
            sql: SELECT count(*) FROM public.orders
            min: 100
            max: 1000
          - name: the boss has no manager
            sql: SELECT manager_id IS NULL FROM public.employees WHERE name = 'boss'
            expect: true
        """, "checks.yaml");

    private Task<DrillResult> DrillAsync(string? tamper = null, TimeSpan? rto = null, DrillChecksFile? checks = null)
    {
        var drill = new DrillRun(Opener(fixture.Repository), tamper is null ? null : new Tampering(fixture, tamper));

        return drill.RunAsync(new DrillRequest { Scratch = fixture.Scratch, Rto = rto, Rpo = TimeSpan.FromHours(1), Checks = checks ?? Checks, Jobs = 2 }, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_drill_of_a_good_snapshot_passes_every_check_and_its_evidence_hash_verifies()
    {
        var result = await DrillAsync(rto: TimeSpan.FromHours(2));

        result.Passed.Should().BeTrue(string.Join("; ", result.Report.Checks.Where(c => !c.Passed).Select(c => c.Name + ": " + c.Summary)));
        result.Report.Checks.Select(c => c.Name).Should().Equal(AllChecks);
        result.Report.Checks.Should().OnlyContain(c => c.Passed);
        ProofRepositories.Check(result, "foreign-keys").Items.Should().Contain(i => i.Subject == "public.order_items");
        ProofRepositories.Check(result, "row-level-security").Items.Select(i => i.Subject).Should().Contain(["storage.buckets", "storage.objects", "public.profiles"]);
        ProofRepositories.Check(result, "sequences").Items.Select(i => i.Subject).Should().Contain(["public.counters.id", "public.notes.id", "public.profiles.n"]);
        result.Report.Objectives.Should().OnlyContain(o => o.Passed);
        result.Report.Snapshot!.Id.Should().Be(fixture.Snapshot.Id.ToString());
        result.Report.Program.Should().StartWith("lifeboat ");
        (await fixture.DrillDatabasesAsync()).Should().Be(0, "the drill drops the database it created");

        var stored = await EvidenceStore.LoadAsync(fixture.Repository, BlobId.Parse(result.Evidence.Id), CancellationToken.None);
        Convert.ToHexStringLower(SHA256.HashData(stored.Envelope.Body)).Should().Be(result.Evidence.Sha256);
        stored.Envelope.Body.Should().Equal(result.Evidence.Body);
        var audit = (await AuditLog.ReadAllAsync(fixture.Repository, CancellationToken.None)).Last(e => e.Record.Operation == "drill").Record;
        audit.Status.Should().Be(AuditStatus.Ok);
        audit.Evidence.Should().Be(result.Evidence.Id);
        audit.Checksum.Should().Be(result.Evidence.Sha256);
        audit.Snapshots.Should().Equal(fixture.Snapshot.Id.ToString());
    }

    [Fact]
    public async Task A_deleted_row_fails_the_row_count_check_naming_the_table()
    {
        var result = await DrillAsync("DELETE FROM public.employees WHERE id = 4");

        result.Passed.Should().BeFalse();
        ProofRepositories.Failed(ProofRepositories.Check(result, "row-counts")).Should().Equal("public.employees");
        ProofRepositories.Check(result, "row-counts").Items.Single(i => i.Subject == "public.employees").Actual.Should().Be("3 rows");
        Passing(result).Should().Contain(["foreign-keys", "row-level-security", "sequences", "required-tables", "assertions"]);
    }

    [Fact]
    public async Task Changed_content_fails_only_the_content_hash_check_naming_the_table()
    {
        var result = await DrillAsync("UPDATE public.notes SET body = 'changed' WHERE id = 5");

        ProofRepositories.Failed(ProofRepositories.Check(result, "content-hashes")).Should().Equal("public.notes");
        Passing(result).Should().Equal(AllChecks.Except(["content-hashes"]));
    }

    [Fact]
    public async Task A_broken_foreign_key_fails_the_foreign_key_check_naming_the_table_and_constraint()
    {
        var result = await DrillAsync("SET session_replication_role = replica; DELETE FROM public.orders WHERE tenant_id = 1 AND order_id = 1;");

        var check = ProofRepositories.Check(result, "foreign-keys");
        ProofRepositories.Failed(check).Should().Equal("public.order_items");
        var item = check.Items.Single(i => !i.Passed);
        item.Actual.Should().Be("3 orphans");
        item.Note.Should().Contain("(tenant_id, order_id) → public.orders");
        Passing(result).Should().Contain(["row-level-security", "sequences"]);
    }

    [Fact]
    public async Task A_dropped_policy_fails_only_the_row_level_security_check_naming_the_table()
    {
        var result = await DrillAsync("DROP POLICY \"devices\" ON public.measurements");

        var check = ProofRepositories.Check(result, "row-level-security");
        ProofRepositories.Failed(check).Should().Equal("public.measurements");
        check.Items.Single(i => !i.Passed).Should().Match<Lifeboat.Operations.Evidence.EvidenceItem>(i => i.Expected!.Contains("1 policy") && i.Actual!.Contains("0 policies"));
        Passing(result).Should().Equal(AllChecks.Except(["row-level-security"]));
    }

    [Fact]
    public async Task A_reset_sequence_fails_only_the_sequence_check_naming_the_column()
    {
        var result = await DrillAsync("SELECT setval('public.counters_id_seq', 1)");

        var check = ProofRepositories.Check(result, "sequences");
        ProofRepositories.Failed(check).Should().Equal("public.counters.id");
        check.Items.Single(i => !i.Passed).Should().Match<Lifeboat.Operations.Evidence.EvidenceItem>(i =>
            i.Expected == "last_value 25, is_called true" && i.Actual == "last_value 1, is_called true" && i.Note!.Contains("differs from the snapshot"));
        check.Summary.Should().Be("1 sequence(s) fail: 1 differ from the snapshot: public.counters.id");
        Passing(result).Should().Equal(AllChecks.Except(["sequences"]));
    }

    [Fact]
    public async Task A_row_added_ahead_of_a_sequence_fails_the_sequence_check_saying_the_column_differs_not_the_sequence()
    {
        var result = await HazardDrillAsync("INSERT INTO public.tags (id, name) VALUES (99, 'tampered')");

        var check = ProofRepositories.Check(result, "sequences");
        ProofRepositories.Failed(check).Should().Equal("public.tags.id");
        check.Summary.Should().Be("1 sequence(s) fail: 1 are as in the snapshot but behind a column whose table differs from it: public.tags.id");
        ProofRepositories.Failed(ProofRepositories.Check(result, "row-counts")).Should().Equal("public.tags");
    }

    [Fact]
    public async Task Required_tables_and_assertions_from_the_checks_file_fail_by_name()
    {
        var checks = DrillChecksFile.Parse("""
            required_tables: [public.orders, public.empty_table, public.no_such_table]
            assertions:
              - { name: orders are counted right, sql: SELECT count(*) FROM public.orders, expect: 120 }
              - { name: every order has three items, sql: "SELECT count(*) FROM public.order_items", min: 361 }
            """, "failing.yaml");

        var result = await DrillAsync(checks: checks);

        ProofRepositories.Failed(ProofRepositories.Check(result, "required-tables")).Should().Equal("public.empty_table", "public.no_such_table");
        ProofRepositories.Failed(ProofRepositories.Check(result, "assertions")).Should().Equal("every order has three items");
        Passing(result).Should().Equal(AllChecks[..5]);
    }

    [Fact]
    public async Task An_rto_objective_smaller_than_the_measured_time_fails_the_drill()
    {
        var result = await DrillAsync(rto: TimeSpan.FromMilliseconds(1));

        result.Passed.Should().BeFalse();
        result.Report.Checks.Should().OnlyContain(c => c.Passed);
        var rto = result.Report.Objectives.Single(o => o.Name == "RTO");
        rto.Passed.Should().BeFalse();
        rto.AchievedSeconds.Should().BeGreaterThan(0.001);
        var audit = (await AuditLog.ReadAllAsync(fixture.Repository, CancellationToken.None)).Last(e => e.Record.Operation == "drill").Record;
        audit.Status.Should().Be(AuditStatus.Failed);
        audit.Error.Should().Contain("RTO objective missed");
    }

    [Fact]
    public async Task Keep_leaves_the_scratch_database_and_a_name_clash_never_drops_what_the_drill_did_not_create()
    {
        var progress = new RecordingProgress<DrillProgress>();
        var kept = await new DrillRun(Opener(fixture.Repository)).RunAsync(new DrillRequest { Scratch = fixture.Scratch, Keep = true, Jobs = 2 }, progress, CancellationToken.None);

        kept.Passed.Should().BeTrue();
        progress.Reports.Select(p => p.Step).Distinct().Should().Equal("opening the snapshot", $"creating database {kept.Database}", "restoring", "saving the evidence");
        progress.Reports.Where(p => p.Step == "restoring").Should().OnlyContain(p => p.BytesExpected == kept.Report.Figures["dataBytes"]!.GetValue<long>());
        progress.Reports.Where(p => p.Step != "restoring").Should().OnlyContain(p => p.BytesExpected == null);
        (await fixture.Cluster.ScalarAsync<long>($"SELECT count(*) FROM pg_database WHERE datname = '{kept.Database}'")).Should().Be(1);
        kept.Database.Should().MatchRegex($"^lifeboat_drill_{fixture.Snapshot.ShortId}_[0-9]{{8}}_[0-9]{{6}}_[0-9a-f]{{4}}$");
        await fixture.Cluster.ExecuteAsync($"DROP DATABASE \"{kept.Database}\"");
    }

    [Fact]
    public async Task A_drill_of_a_source_with_sequences_behind_and_a_not_valid_key_with_orphans_passes_with_warnings_about_the_source()
    {
        var result = await HazardDrillAsync();

        result.Passed.Should().BeTrue(string.Join("; ", result.Report.Checks.Where(c => !c.Passed).Select(c => c.Name + ": " + c.Summary)));
        result.Report.Checks.Should().OnlyContain(c => c.Passed);
        var warnings = result.Report.Warnings.ToDictionary(w => w.Object, w => w);
        warnings.Keys.Should().BeEquivalentTo("public.projects.id", "public.tickets.id", "public.credit_notes.id", "public.orders_archive", "public.documents");
        warnings["public.projects.id"].Should().Match<EvidenceWarning>(w => w.Check == "sequences"
            && w.Message.Contains("sequence public.projects_id_seq is behind its column public.projects.id in the source: the next insert will fail with a duplicate key (3 is taken"));
        warnings["public.tickets.id"].Message.Should().Contain("next value 2, the column's maximum is 500").And.Contain("once the sequence reaches a taken value");
        warnings["public.credit_notes.id"].Message.Should().Contain("sequence public.document_numbers is behind its column public.credit_notes.id").And.Contain("maximum is 50");
        ProofRepositories.Check(result, "sequences").Items.Single(i => i.Subject == "public.invoices.id").Warning.Should().BeNull("the shared sequence is ahead of this column");
        warnings["public.orders_archive"].Should().Match<EvidenceWarning>(w => w.Check == "foreign-keys"
            && w.Message.Contains("orders_archive_customer_fkey") && w.Message.Contains("NOT VALID and 2 row(s) have no referenced row in public.customers"));
        warnings["public.documents"].Should().Match<EvidenceWarning>(w => w.Check == "row-level-security" && w.Message.Contains("not enforced"));
        var sequences = ProofRepositories.Check(result, "sequences");
        sequences.Items.Single(i => i.Subject == "public.slots.n").Should().Match<EvidenceItem>(i => i.Warning == null && i.Note!.Contains("cycles"));
        sequences.Items.Single(i => i.Subject == "public.tags.id").Warning.Should().BeNull();
        result.Report.Figures["warnings"]!.GetValue<int>().Should().Be(5);
        var markdown = EvidenceMarkdown.Render(result.Report, result.Evidence.Sha256, result.Evidence.Id);
        markdown.Should().Contain("## Warnings about the source").And.Contain("PASSED").And.Contain("pass, warning");
        EvidenceReport.FromBody(result.Evidence.Body).Warnings.Should().HaveCount(5);
    }

    [Theory]
    [InlineData("SELECT setval('public.projects_id_seq', 1)", "sequences", "public.projects.id")]
    [InlineData("SET session_replication_role = replica; INSERT INTO public.orders_archive VALUES (6, 9)", "foreign-keys", "public.orders_archive")]
    [InlineData("INSERT INTO public.projects (id, name) VALUES (99, 'tampered')", "sequences", "public.projects.id")]
    public async Task A_difference_from_the_source_still_fails_the_right_check_when_the_source_had_the_hazard(string tamper, string check, string subject)
    {
        var result = await HazardDrillAsync(tamper);

        result.Passed.Should().BeFalse();
        ProofRepositories.Failed(ProofRepositories.Check(result, check)).Should().Equal(subject);
    }

    private Task<DrillResult> HazardDrillAsync(string? tamper = null)
    {
        var drill = new DrillRun(Opener(fixture.HazardRepository), tamper is null ? null : new Tampering(fixture, tamper));

        return drill.RunAsync(new DrillRequest { Scratch = fixture.Scratch, Jobs = 2 }, null, CancellationToken.None);
    }

    private static IEnumerable<string> Passing(DrillResult result) => result.Report.Checks.Where(c => c.Passed).Select(c => c.Name);

    private static OpenedRepository Opener(BackupRepository repository) => new(repository, "test repository");

    /// <summary>Changes the restored database before the drill's checks run.</summary>
    private sealed class Tampering(DrillFixture fixture, string sql) : IDrillObserver
    {
        public Task RestoredAsync(PgConnectionInfo scratch, CancellationToken cancellationToken) => fixture.Cluster.ExecuteAsync(sql, scratch.Database);
    }
}
