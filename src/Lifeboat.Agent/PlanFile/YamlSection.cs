using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lifeboat.Agent.PlanFile;

/// <summary>Collects every error of one plan file, each at its line and column.</summary>
internal sealed class Diagnostics(string file)
{
    public List<PlanFileError> Errors { get; } = [];

    /// <summary>Values already reported as literal secrets, so the typed reading does not report them twice.</summary>
    public HashSet<YamlNode> Refused { get; } = [];

    public void At(Mark mark, string message) => Errors.Add(new PlanFileError(file, mark.Line, mark.Column, message));

    public void At(YamlNode node, string message) => At(node.Start, message);
}

/// <summary>
/// One mapping of the plan file (<c>plans.app-6h.backup</c>) read key by key: each accessor reports a wrong type or a
/// missing required key at its position and returns null, so reading goes on and every error is found. Unknown keys are
/// reported when the section is made (with the nearest valid key).
/// </summary>
internal sealed class YamlSection
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly Diagnostics _diagnostics;
    private readonly Mark _at;
    private readonly bool _broken;
    private readonly YamlNode? _value;

    /// <summary>A section from <paramref name="value"/> (a mapping, or empty), positioned at <paramref name="at"/> for missing keys.</summary>
    public YamlSection(YamlNode? value, Mark at, string path, Diagnostics diagnostics, IReadOnlyCollection<string>? validKeys)
    {
        Path = path;
        _value = value;
        _diagnostics = diagnostics;
        _at = at;
        if (value is YamlMappingNode mapping)
        {
            foreach (var (key, child) in mapping.Children)
            {
                if (key is not YamlScalarNode { Value: { } name } scalar)
                {
                    diagnostics.At(key, $"a key in {path} must be a name, not a {Kind(key)}");
                    continue;
                }

                if (validKeys is not null && !validKeys.Contains(name))
                {
                    diagnostics.At(scalar, NearestKey.UnknownKeyMessage(name, path, validKeys));
                    continue;
                }

                _entries[name] = (scalar, child);
            }
        }
        else if (!IsEmpty(value))
        {
            diagnostics.At(value!, $"{path} must be a mapping of keys to values, not {Describe(value!)}");
            _broken = true;
        }
    }

    /// <summary>The path of the document's top level, whose sections are named by their key alone.</summary>
    public const string Root = "the plan file";

    public string Path { get; }

    public Diagnostics Diagnostics => _diagnostics;

    /// <summary>The entries in file order (for the named maps: repositories, sources, plans, channels).</summary>
    public IEnumerable<(string Name, YamlScalarNode Key, YamlNode Value)> Entries() =>
        _entries.Select(e => (Name: e.Key, e.Value.Key, e.Value.Value)).OrderBy(e => e.Key.Start.Index);

    public bool Has(string key) => _entries.ContainsKey(key);

    /// <summary>The same mapping checked against <paramref name="validKeys"/> (a channel's keys depend on its type).</summary>
    public YamlSection Retyped(IReadOnlyCollection<string> validKeys) => new(_value, _at, Path, _diagnostics, validKeys);

    /// <summary>The position of <paramref name="key"/>'s value, or of the section when it is absent.</summary>
    public Mark PositionOf(string key) => _entries.TryGetValue(key, out var e) ? e.Value.Start : _at;

    /// <summary>A nested section, empty when absent (<paramref name="required"/>: then an error).</summary>
    public YamlSection? Section(string key, IReadOnlyCollection<string>? validKeys, bool required = false)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            Missing(key, required);
            return null;
        }

        return new YamlSection(entry.Value, entry.Key.Start, Path == Root ? key : $"{Path}.{key}", _diagnostics, validKeys);
    }

    /// <summary>A text value; null (and an error when <paramref name="required"/>) when absent or empty.</summary>
    public YamlScalarNode? Scalar(string key, bool required = false)
    {
        if (!_entries.TryGetValue(key, out var entry) || IsEmpty(entry.Value))
        {
            Missing(key, required);
            return null;
        }

        if (entry.Value is YamlScalarNode scalar)
        {
            return scalar;
        }

        _diagnostics.At(entry.Value, $"'{key}' in {Path} must be a single value, not {Describe(entry.Value)}");
        return null;
    }

    public string? String(string key, bool required = false) => Scalar(key, required)?.Value;

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? Int(string key, int min, int max, bool required = false) =>
        Read(key, required, text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n : (int?)null,
            $"a whole number from {min} to {max}");

    public bool? Bool(string key) =>
        Read(key, false, text => text switch { "true" => true, "false" => false, _ => (bool?)null }, "true or false");

    public TimeSpan? Duration(string key, bool required = false) =>
        Read<TimeSpan>(key, required, text => Units.ParseDuration(text) is { } d && d > TimeSpan.Zero ? d : null,
            "a duration such as 30s, 15m, 6h, 7d or 1h30m");

    public long? Size(string key) => Read<long>(key, false, text => Units.ParseSize(text), "a size such as 500GiB or 1TB");

    /// <summary>A list of names (<c>[a, b]</c> or one per line); a single value counts as a list of one.</summary>
    public IReadOnlyList<YamlScalarNode> List(string key)
    {
        if (!_entries.TryGetValue(key, out var entry) || IsEmpty(entry.Value))
        {
            return [];
        }

        if (entry.Value is YamlScalarNode single)
        {
            return [single];
        }

        if (entry.Value is not YamlSequenceNode sequence)
        {
            _diagnostics.At(entry.Value, $"'{key}' in {Path} must be a list, not {Describe(entry.Value)}");
            return [];
        }

        var items = new List<YamlScalarNode>();
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value.Length: > 0 } scalar)
            {
                items.Add(scalar);
            }
            else
            {
                _diagnostics.At(item, $"each item of '{key}' in {Path} must be a single value, not {Describe(item)}");
            }
        }

        return items;
    }

    public IReadOnlyList<string> Strings(string key) => [.. List(key).Select(s => s.Value!)];

    /// <summary>A secret: a whole <c>${ENV}</c> reference (a literal was already refused by <see cref="SecretScan"/>).</summary>
    public EnvReference? Secret(string key, bool required = false)
    {
        var scalar = Scalar(key, required);
        if (scalar is null || _diagnostics.Refused.Contains(scalar))
        {
            return null;
        }

        if (SecretPolicy.IsEnvReference(scalar.Value!))
        {
            return EnvReference.Parse(scalar.Value!);
        }

        _diagnostics.At(scalar, $"'{key}' in {Path} must be an environment reference such as ${{NAME}}");
        return null;
    }

    /// <summary>Reports <paramref name="message"/> at the value of <paramref name="key"/> (or the section).</summary>
    public void Error(string key, string message) => _diagnostics.At(PositionOf(key), message);

    private T? Read<T>(string key, bool required, Func<string, T?> parse, string expected)
        where T : struct
    {
        var scalar = Scalar(key, required);
        if (scalar is null)
        {
            return null;
        }

        if (parse(scalar.Value!.Trim()) is { } value)
        {
            return value;
        }

        _diagnostics.At(scalar, $"'{key}' in {Path} must be {expected}, not '{scalar.Value}'");
        return null;
    }

    private void Missing(string key, bool required)
    {
        if (required && !_broken)
        {
            _diagnostics.At(_at, $"{Path} needs '{key}'");
        }
    }

    private static bool IsEmpty(YamlNode? node) =>
        node is null || (node is YamlScalarNode s && s.Style == YamlDotNet.Core.ScalarStyle.Plain && (s.Value is null or "" or "~" or "null"));

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "value",
    };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode => "a single value",
        _ => "that",
    };
}
