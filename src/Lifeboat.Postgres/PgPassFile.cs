using System.Text;

namespace Lifeboat.Postgres;

/// <summary>Reads libpq password files (<c>~/.pgpass</c>, <c>PGPASSFILE</c>): <c>host:port:db:user:password</c>.</summary>
internal static class PgPassFile
{
    /// <summary>The password of the first matching line, or null. Unix-socket hosts match <c>localhost</c>.</summary>
    public static string? Lookup(string path, string host, string port, string database, string user)
    {
        if (!File.Exists(path))
            return null;
        if (!OperatingSystem.IsWindows())
        {
            // libpq ignores a password file readable by group or others
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                         | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
                return null;
        }
        var hostForMatch = host.StartsWith('/') ? "localhost" : host;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var fields = Split(line);
            if (fields.Count < 5)
                continue;
            if (Matches(fields[0], hostForMatch) && Matches(fields[1], port) && Matches(fields[2], database) && Matches(fields[3], user))
                return fields[4];
        }
        return null;
    }

    private static bool Matches(string field, string value) => field == "*" || field == value;

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                current.Append(line[++i]);
            }
            else if (c == ':' && fields.Count < 4)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString());
        return fields;
    }
}
