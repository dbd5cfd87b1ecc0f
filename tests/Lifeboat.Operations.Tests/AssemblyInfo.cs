// the tests start throwaway PostgreSQL clusters with PostgreSQL's Unix tools
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
