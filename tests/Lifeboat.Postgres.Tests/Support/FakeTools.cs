namespace Lifeboat.Postgres.Tests.Support;

/// <summary>A temporary directory of fake pg_dump / pg_restore / psql scripts printing a given version.</summary>
public sealed class FakeTools : IDisposable
{
    public FakeTools(string version)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("lifeboat-fake-tools-").FullName;
        foreach (var tool in new[] { "pg_dump", "pg_restore", "psql", "pg_dumpall" })
        {
            var path = Path.Combine(Directory, tool);
            File.WriteAllText(path, $"#!/bin/sh\necho \"{tool} (PostgreSQL) {version}\"\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Directory { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
