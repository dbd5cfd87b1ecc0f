namespace Lifeboat.Storage;

/// <summary>
/// The rules every backend applies to object names and list prefixes, so that a name valid for
/// one backend is valid for all of them: slash-separated segments, no empty, <c>.</c> or
/// <c>..</c> segment, no leading or trailing slash, no backslash or control character.
/// </summary>
public static class ObjectNames
{
    /// <summary>The longest name accepted, in UTF-16 code units (S3 allows 1,024 bytes).</summary>
    public const int MaxLength = 1024;

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="name"/> is not a valid object name.</summary>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new ArgumentException("an object name must not be empty", nameof(name));
        }

        if (name[^1] == '/')
        {
            throw new ArgumentException($"object name '{name}' must not end with '/'", nameof(name));
        }

        ValidateCommon(name, nameof(name));
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when <paramref name="prefix"/> is not a valid list
    /// prefix: empty (everything) or the start of a valid name, possibly ending with '/'.
    /// </summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
        {
            return;
        }

        ValidateCommon(prefix.EndsWith('/') ? prefix[..^1] : prefix, nameof(prefix));
    }

    private static void ValidateCommon(string value, string parameterName)
    {
        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"object name '{value[..40]}...' is longer than {MaxLength} characters", parameterName);
        }

        foreach (char c in value)
        {
            if (c == '\\' || char.IsControl(c))
            {
                throw new ArgumentException($"object name '{value}' contains a backslash or a control character", parameterName);
            }
        }

        foreach (string segment in value.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                throw new ArgumentException(
                    $"object name '{value}' has an empty, '.' or '..' segment (or a leading or doubled '/')", parameterName);
            }
        }
    }
}
