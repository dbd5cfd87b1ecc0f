using YamlDotNet.RepresentationModel;

namespace Lifeboat.Agent.PlanFile;

/// <summary>
/// Walks the whole document (known keys and unknown ones) and refuses every literal secret at its position
/// (<see cref="SecretPolicy"/>): a secret-bearing key whose value is not a whole <c>${ENV}</c> reference, and any URL or
/// connection string with a password in it. The messages never repeat the value.
/// </summary>
internal static class SecretScan
{
    public static void Run(YamlNode node, string? key, Diagnostics diagnostics)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (k, v) in mapping.Children)
                {
                    Run(v, (k as YamlScalarNode)?.Value, diagnostics);
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    Run(item, key, diagnostics);
                }

                break;
            case YamlScalarNode { Value: { Length: > 0 } value } scalar when key is not null:
                if (SecretPolicy.LiteralSecretReason(key, value) is { } reason)
                {
                    diagnostics.At(scalar, reason);
                    diagnostics.Refused.Add(scalar);
                }

                break;
        }
    }
}
