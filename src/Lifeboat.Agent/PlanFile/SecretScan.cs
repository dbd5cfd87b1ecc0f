using YamlDotNet.RepresentationModel;

namespace Lifeboat.Agent.PlanFile;

/// <summary>
/// Walks the whole document (known keys and unknown ones) and refuses every literal secret at its position
/// (<see cref="SecretPolicy"/>): a secret-bearing key whose value is not a whole <c>${ENV}</c> reference, and any URL or
/// connection string with a password in it. The messages never repeat the value.
/// </summary>
internal static class SecretScan
{
    public static void Run(YamlNode root, Diagnostics diagnostics) => Run(root, [], diagnostics);

    private static void Run(YamlNode node, List<string> path, Diagnostics diagnostics)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (k, v) in mapping.Children)
                {
                    Run(v, [.. path, (k as YamlScalarNode)?.Value ?? string.Empty], diagnostics);
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    Run(item, path, diagnostics);
                }

                break;
            case YamlScalarNode { Value: { Length: > 0 } value } scalar when path.Count > 0:
                // only repositories and sources have a password_file to suggest
                var fileTwin = path is ["repositories" or "sources", _, "password"];
                if (SecretPolicy.LiteralSecretReason(path[^1], value, fileTwin) is { } reason)
                {
                    diagnostics.At(scalar, reason);
                    diagnostics.Refused.Add(scalar);
                }

                break;
        }
    }
}
