// the tests drive PostgreSQL's Unix tools (initdb, pg_dump) and set Unix file modes
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
