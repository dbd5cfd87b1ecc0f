namespace Lifeboat.Agent.PlanFile;

/// <summary>
/// A secret named in the plan file by reference, <c>${NAME}</c>: the file holds the variable's name, never its value.
/// It is resolved only when used (<see cref="Resolve"/>) and prints as the reference, so no output can carry the value.
/// </summary>
public sealed record EnvReference(string Name)
{
    /// <summary>The reference as written in the file, <c>${NAME}</c>.</summary>
    public override string ToString() => $"${{{Name}}}";

    /// <summary>A reference from its text, which <see cref="SecretPolicy.IsEnvReference"/> must accept.</summary>
    public static EnvReference Parse(string text) =>
        SecretPolicy.IsEnvReference(text) ? new EnvReference(text[2..^1]) : throw new FormatException("not a ${NAME} reference");

    /// <summary>The variable's value from <paramref name="environment"/>; the error names the variable, never a value.</summary>
    public string Resolve(Func<string, string?> environment) =>
        environment(Name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"the environment variable {Name} named by the plan file is not set");
}
