using System.CommandLine;
using Lifeboat.Postgres;

namespace Lifeboat.Cli.Commands;

/// <summary>Options shared by the commands that talk to PostgreSQL.</summary>
internal static class DatabaseOptions
{
    public static Option<int> Jobs() => new("--jobs", "-j")
    {
        Description = "Parallel database connections (tables copied at once)",
        DefaultValueFactory = _ => Operations.DatabaseSelection.DefaultJobs,
    };

    public static readonly Option<string?> PgBin = new("--pg-bin")
    {
        Description = "Directory holding pg_dump, pg_restore and psql (default: PATH and /usr/lib/postgresql/*/bin)",
    };

    /// <summary>Parses a connection (URL or key=value); libpq variables and ~/.pgpass fill the gaps.</summary>
    public static PgConnectionInfo Connection(string? text, string option)
    {
        try
        {
            return PgConnectionInfo.Parse(text);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new UsageException($"{option}: {e.Message.TrimEnd('.')}. Use a URL (postgres://user@host:5432/db) or key=value pairs (host=... dbname=...); put the password in PGPASSWORD or ~/.pgpass, not on the command line");
        }
    }

    public static int ValidJobs(int jobs) =>
        jobs is >= 1 and <= 64 ? jobs : throw new UsageException($"--jobs must be between 1 and 64, not {jobs}");
}
