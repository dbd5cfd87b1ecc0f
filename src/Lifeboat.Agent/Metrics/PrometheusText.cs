using System.Globalization;
using System.Text;

namespace Lifeboat.Agent.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): per family one <c># HELP</c> and one <c># TYPE</c>
/// line, then its samples. Label names are limited to <see cref="LabelNames"/>: the agent never labels a series with an
/// id or a time, which would make a new series for every backup.
/// </summary>
internal sealed class PrometheusText
{
    /// <summary>The content type of the format, for the HTTP response.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The only label names a Lifeboat metric may carry.</summary>
    public static readonly IReadOnlySet<string> LabelNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "plan", "source", "repository", "kind", "status", "condition", "copy", "version",
    };

    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);
    private string? _family;

    /// <summary>Starts a family; every family name once.</summary>
    public PrometheusText Family(string name, MetricType type, string help)
    {
        if (!IsMetricName(name) || !_families.Add(name))
        {
            throw new ArgumentException($"'{name}' is not a new metric name", nameof(name));
        }

        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new ArgumentException($"counter '{name}' must end in _total", nameof(name));
        }

        _family = name;
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type == MetricType.Counter ? "counter" : "gauge").Append('\n');
        return this;
    }

    /// <summary>A sample of the current family.</summary>
    public PrometheusText Sample(double value, params (string Name, string Value)[] labels)
    {
        var family = _family ?? throw new InvalidOperationException("start a family first");
        _text.Append(family);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                var (name, text) = labels[i];
                if (!LabelNames.Contains(name))
                {
                    throw new ArgumentException($"label '{name}' is not one of {string.Join(", ", LabelNames)}", nameof(labels));
                }

                _text.Append(i == 0 ? "" : ",").Append(name).Append("=\"").Append(EscapeLabel(text)).Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ').Append(Format(value)).Append('\n');
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => _text.ToString();

    /// <summary>A value as the format writes it: shortest round-trip decimal, or +Inf, -Inf, NaN.</summary>
    public static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static bool IsMetricName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>The two metric types the agent exports.</summary>
internal enum MetricType
{
    /// <summary>A value that goes up and down (a time, a size, a count of firing alerts).</summary>
    Gauge,

    /// <summary>A count that only grows while the process runs (<c>_total</c>).</summary>
    Counter,
}
