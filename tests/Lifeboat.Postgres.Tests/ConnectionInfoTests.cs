namespace Lifeboat.Postgres.Tests;

public sealed class ConnectionInfoTests
{
    private static string? NoEnv(string name) => null;

    [Fact]
    public void A_url_is_parsed_with_percent_decoding_and_query_parameters()
    {
        var info = PgConnectionInfo.Parse("postgresql://al%40ice:p%3Ass%2Fw@db.example.com:6543/my%20db?sslmode=require&application_name=x", NoEnv);
        var b = info.ToConnectionStringBuilder();
        b.Host.Should().Be("db.example.com");
        b.Port.Should().Be(6543);
        b.Username.Should().Be("al@ice");
        b.Password.Should().Be("p:ss/w");
        b.Database.Should().Be("my db");
        b.SslMode.Should().Be(Npgsql.SslMode.Require);
        b.ApplicationName.Should().Be("x");
    }

    [Fact]
    public void Redact_shows_user_host_port_and_database_but_never_the_password()
    {
        var info = PgConnectionInfo.Parse("postgres://bob:hunter2@[::1]:5433/shop", NoEnv);
        info.Redact().Should().Be("postgres://bob:***@[::1]:5433/shop");
        info.ToString().Should().NotContain("hunter2");
        PgConnectionInfo.Parse("host=h user=u dbname=d", NoEnv).Redact().Should().Be("postgres://u@h:5432/d");
    }

    [Fact]
    public void A_key_value_string_supports_quotes_and_escapes()
    {
        var info = PgConnectionInfo.Parse(@"host=localhost port=5999 dbname='my \'db' user=me password='it\'s secret'", NoEnv);
        info.Port.Should().Be(5999);
        info.ToConnectionStringBuilder().Password.Should().Be("it's secret");
        info.User.Should().Be("me");
        info.Database.Should().Be("my 'db");
    }

    [Fact]
    public void Libpq_environment_variables_fill_what_the_string_leaves_out()
    {
        var env = new Dictionary<string, string>
        {
            ["PGHOST"] = "envhost", ["PGPORT"] = "6000", ["PGUSER"] = "envuser", ["PGDATABASE"] = "envdb", ["PGPASSWORD"] = "envpw", ["PGSSLMODE"] = "disable",
        };
        var info = PgConnectionInfo.Parse("dbname=explicit", n => env.GetValueOrDefault(n));
        info.Host.Should().Be("envhost");
        info.Port.Should().Be(6000);
        info.User.Should().Be("envuser");
        info.Database.Should().Be("explicit");
        info.ToConnectionStringBuilder().Password.Should().Be("envpw");
        PgConnectionInfo.Parse("", n => env.GetValueOrDefault(n)).Database.Should().Be("envdb");
    }

    [Fact]
    public void The_child_environment_carries_the_password_so_it_never_reaches_argv()
    {
        var info = PgConnectionInfo.Parse("postgres://u:pw@h:1/d?sslmode=verify-full", NoEnv);
        var env = info.ToChildEnvironment();
        env.Should().Contain(new KeyValuePair<string, string>("PGPASSWORD", "pw"));
        env.Should().Contain(new KeyValuePair<string, string>("PGHOST", "h"));
        env.Should().Contain(new KeyValuePair<string, string>("PGSSLMODE", "verify-full"));
        env.Should().Contain(new KeyValuePair<string, string>("PGDATABASE", "d"));
    }

    [Fact]
    public void The_password_file_is_used_when_private_and_ignored_when_readable_by_others()
    {
        var home = Directory.CreateTempSubdirectory("lifeboat-home-").FullName;
        try
        {
            var pgpass = Path.Combine(home, ".pgpass");
            File.WriteAllText(pgpass, "# comment\nother:*:*:*:nope\ndb.local:5432:*:app:from\\:file\n*:*:*:*:fallback\n");
            File.SetUnixFileMode(pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            PgConnectionInfo.Parse("host=db.local user=app dbname=x", NoEnv, home).ToConnectionStringBuilder().Password.Should().Be("from:file");
            PgConnectionInfo.Parse("host=elsewhere user=app", NoEnv, home).ToConnectionStringBuilder().Password.Should().Be("fallback");
            PgConnectionInfo.Parse("host=db.local user=app password=explicit", NoEnv, home).ToConnectionStringBuilder().Password.Should().Be("explicit");
            File.SetUnixFileMode(pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            PgConnectionInfo.Parse("host=db.local user=app", NoEnv, home).HasPassword.Should().BeFalse();
        }
        finally
        {
            Directory.Delete(home, true);
        }
    }

    [Fact]
    public void Unsupported_parameters_and_bad_ports_are_rejected_with_a_clear_message()
    {
        var act = () => PgConnectionInfo.Parse("host=h bogus=1", NoEnv);
        act.Should().Throw<ArgumentException>().WithMessage("*bogus*");
        var port = () => PgConnectionInfo.Parse("postgres://h:abc/d", NoEnv);
        port.Should().Throw<ArgumentException>().WithMessage("*port*");
    }
}
