using System.Globalization;
using System.Text;

namespace Lifeboat.Postgres;

/// <summary>
/// The names of the streams a capture writes:
/// <c>manifest.json</c>, <c>schema.pgdump</c> (pg_dump -Fc, pre-data + post-data),
/// <c>globals.sql</c>, <c>data/&lt;schema&gt;.&lt;table&gt;</c> (COPY text; each name
/// percent-encoded: every byte of its UTF-8 form outside <c>[A-Za-z0-9_-]</c> becomes <c>%XX</c>,
/// so the dot is unambiguous and the name is safe as a path), and <c>lo/&lt;oid&gt;</c>.
/// </summary>
public static class StreamNames
{
    /// <summary>The manifest (JSON).</summary>
    public const string Manifest = "manifest.json";

    /// <summary>The schema archive.</summary>
    public const string Schema = "schema.pgdump";

    /// <summary>Roles and tablespaces.</summary>
    public const string Globals = "globals.sql";

    /// <summary>The data stream of a table.</summary>
    public static string TableData(string schema, string table) => $"data/{Encode(schema)}.{Encode(table)}";

    /// <summary>The stream of a large object.</summary>
    public static string LargeObject(uint oid) => "lo/" + oid.ToString(CultureInfo.InvariantCulture);

    /// <summary>Percent-encodes a name (see the type's remarks).</summary>
    public static string Encode(string name)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'_' or (byte)'-')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
