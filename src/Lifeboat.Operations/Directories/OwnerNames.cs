using System.Globalization;

namespace Lifeboat.Operations.Directories;

/// <summary>
/// User and group names by id, read once from <c>/etc/passwd</c> and <c>/etc/group</c>. Ids known only to another
/// name service (LDAP, sssd) have no name here: the entry then keeps only its numbers.
/// </summary>
internal sealed class OwnerNames
{
    private readonly Dictionary<uint, string> _users;
    private readonly Dictionary<uint, string> _groups;

    private OwnerNames(Dictionary<uint, string> users, Dictionary<uint, string> groups)
    {
        _users = users;
        _groups = groups;
    }

    /// <summary>The names of this host.</summary>
    public static OwnerNames Load() => new(Read("/etc/passwd"), Read("/etc/group"));

    public string? User(uint uid) => _users.GetValueOrDefault(uid);

    public string? Group(uint gid) => _groups.GetValueOrDefault(gid);

    private static Dictionary<uint, string> Read(string file)
    {
        var names = new Dictionary<uint, string>();
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    names.TryAdd(id, fields[0]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no names then: the ids are kept all the same
        }

        return names;
    }
}
