namespace Lifeboat.Cli.Tests;

public sealed class BadInputTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Theory]
    [InlineData("bakup")]
    [InlineData("bakup", "--help")]
    public async Task An_unknown_command_exits_2_and_suggests_the_nearest(params string[] args)
    {
        var result = await _repo.Cli.RunAsync((byte[]?)null, args);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("unknown command 'bakup'; did you mean 'backup'?");
        result.Out.Should().NotContain("Description:");
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("backup", "--help")]
    public async Task Help_of_a_known_command_still_exits_0(params string[] args)
    {
        var result = await _repo.Cli.RunAsync((byte[]?)null, args);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("Description:");
    }

    [Fact]
    public async Task A_number_option_given_a_word_says_it_expects_a_whole_number()
    {
        var result = await _repo.Cli.RunAsync("forget", "--keep-daily", "abc");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("option '--keep-daily' expects a whole number, not 'abc'");
        result.Stderr.Should().NotContain("System.");
    }

    [Fact]
    public async Task A_connection_with_a_bad_port_is_told_without_a_doubled_period()
    {
        await _repo.InitAsync();

        var result = await _repo.Cli.RunAsync("backup", "--db", "host=127.0.0.1 port=notaport dbname=x");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("must be a number. Use a URL");
        result.Stderr.Should().NotContain("number..");
    }

    [Theory]
    [InlineData("--as", "copy")]
    [InlineData("--into-schema", "restored")]
    [InlineData("--where", "id = 1")]
    [InlineData("--swap")]
    public async Task A_table_option_without_table_is_a_usage_error_before_anything_is_opened(params string[] option)
    {
        var result = await _repo.Cli.RunAsync(["restore", "latest", "--to", "postgres://app@127.0.0.1:1/app", .. option]);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("--as, --into-schema, --swap and --where go with --table SCHEMA.TABLE");
    }

    [Theory]
    [InlineData("--table", "public.orders")]
    [InlineData("--table", "public.orders", "--where", "id = 1")]
    public async Task Globals_with_a_table_restore_is_a_usage_error(params string[] option)
    {
        var result = await _repo.Cli.RunAsync(["restore", "latest", "--to", "postgres://app@127.0.0.1:1/app", "--globals", .. option]);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("--globals goes with a whole-database restore, not with --table");
    }

    public void Dispose() => _repo.Dispose();
}
