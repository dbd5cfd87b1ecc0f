using System.Text.RegularExpressions;

namespace Lifeboat.Agent.PlanFile;

/// <summary>
/// Secrets are never written in the plan file: a secret-bearing key takes a <c>${ENV_VAR}</c> reference (or the
/// key has a <c>_file</c> twin, such as <c>password_file</c>). This finds a literal secret, to refuse it with its line.
/// </summary>
public static partial class SecretPolicy
{
    private static readonly string[] SecretKeys = ["password", "token", "secret", "routing_key", "webhook_url", "api_key"];

    /// <summary>Whether <paramref name="key"/> names a value that is a secret (password, token, secret, routing_key, webhook URL).</summary>
    public static bool IsSecretKey(string key) =>
        !key.EndsWith("_file", StringComparison.Ordinal)
        && !key.EndsWith("_env", StringComparison.Ordinal)
        && SecretKeys.Any(s => key.Equals(s, StringComparison.Ordinal) || key.EndsWith("_" + s, StringComparison.Ordinal));

    /// <summary>Whether <paramref name="value"/> is exactly one environment reference, <c>${NAME}</c>.</summary>
    public static bool IsEnvReference(string value) => EnvReference().IsMatch(value);

    /// <summary>
    /// Why the value of <paramref name="key"/> is a literal secret the file must not hold, or null when it is fine:
    /// a secret key whose value is not a <c>${ENV}</c> reference, or any URL with a password in its user info, or a key=value connection string with password=.
    /// The message never repeats the value.
    /// </summary>
    public static string? LiteralSecretReason(string key, string value) => LiteralSecretReason(key, value, fileTwin: true);

    /// <summary>
    /// As <see cref="LiteralSecretReason(string, string)"/>; <paramref name="fileTwin"/> says whether the place has a
    /// <c>KEY_file</c> alternative to suggest.
    /// </summary>
    public static string? LiteralSecretReason(string key, string value, bool fileTwin)
    {
        if (IsSecretKey(key) && value.Length > 0 && !IsEnvReference(value))
        {
            var file = fileTwin ? $" or '{key}_file: /path/to/file'" : string.Empty;
            return $"'{key}' holds a literal secret: secrets are never written in the plan file; use "
                + $"'{key}: ${{SOME_ENV_VAR}}'{file} instead";
        }

        if (UrlWithPassword().IsMatch(value) && !IsEnvReference(value))
        {
            return $"'{key}' is a URL with a password in it: put the password in an environment variable or a file instead";
        }

        if (ConnInfoPassword().IsMatch(value))
        {
            return $"'{key}' is a connection string with a password in it: use PGPASSWORD, ~/.pgpass or a password_file instead";
        }

        return null;
    }

    [GeneratedRegex(@"(^|[\s?&])password\s*=", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ConnInfoPassword();

    [GeneratedRegex(@"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvReference();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:[^/@\s]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlWithPassword();
}
