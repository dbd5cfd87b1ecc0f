namespace Lifeboat.Agent.PlanFile;

/// <summary>Reads one entry of <c>channels:</c>: its <c>type</c> decides which keys are valid.</summary>
internal static class ChannelReader
{
    private static readonly Dictionary<string, string[]> KeysByType = new(StringComparer.Ordinal)
    {
        ["email"] = ["smtp", "tls", "username", "password", "from", "to"],
        ["slack"] = ["webhook_url"],
        ["webhook"] = ["url", "secret"],
        ["pagerduty"] = ["routing_key", "url"],
        ["ntfy"] = ["url", "token"],
        ["ping"] = ["url"],
    };

    private static readonly string[] TlsModes = ["starttls", "tls", "none"];

    /// <summary>The channel types, in the order docs/agent.md lists them.</summary>
    public static IEnumerable<string> Types => KeysByType.Keys;

    public static ChannelSettings? Read(string name, YamlSection untyped)
    {
        // the keys are checked once the type is known: read the type first from a section that checks none
        var type = untyped.Scalar("type", required: true);
        if (type?.Value is not { } typeName)
        {
            return null;
        }

        if (!KeysByType.TryGetValue(typeName, out var keys))
        {
            var nearest = NearestKey.Find(typeName, KeysByType.Keys);
            var hint = nearest is null ? string.Empty : $"; did you mean '{nearest}'?";
            untyped.Diagnostics.At(type, $"unknown channel type '{typeName}' in {untyped.Path}{hint} (types: {string.Join(", ", KeysByType.Keys)})");
            return null;
        }

        var section = untyped.Retyped(["type", "events", .. keys]);
        var events = Events(section);
        return typeName switch
        {
            "email" => Email(name, events, section),
            "slack" => section.Secret("webhook_url", required: true) is { } hook ? new SlackChannelSettings(name, events, hook) : null,
            "webhook" => section.String("url", required: true) is { } url ? new WebhookChannelSettings(name, events, url, section.Secret("secret")) : null,
            "pagerduty" => section.Secret("routing_key", required: true) is { } key ? new PagerDutyChannelSettings(name, events, key, section.String("url")) : null,
            "ntfy" => section.String("url", required: true) is { } topic ? new NtfyChannelSettings(name, events, topic, section.Secret("token")) : null,
            _ => section.String("url", required: true) is { } ping ? new PingChannelSettings(name, events, ping) : null,
        };
    }

    private static List<string> Events(YamlSection section)
    {
        var events = new List<string>();
        foreach (var item in section.List("events"))
        {
            if (ChannelSettings.KnownEvents.Contains(item.Value))
            {
                events.Add(item.Value!);
                continue;
            }

            var nearest = NearestKey.Find(item.Value!, ChannelSettings.KnownEvents);
            var hint = nearest is null ? string.Empty : $"; did you mean '{nearest}'?";
            section.Diagnostics.At(item, $"unknown event '{item.Value}' in {section.Path}{hint} (events: {string.Join(", ", ChannelSettings.KnownEvents)})");
        }

        return events;
    }

    private static EmailChannelSettings? Email(string name, List<string> events, YamlSection section)
    {
        var smtp = section.String("smtp", required: true);
        var tls = section.Scalar("tls");
        if (tls is not null && !TlsModes.Contains(tls.Value))
        {
            section.Diagnostics.At(tls, $"'tls' in {section.Path} must be one of {string.Join(", ", TlsModes)}, not '{tls.Value}'");
        }

        var from = section.String("from", required: true);
        var to = section.Strings("to");
        if (to.Count == 0)
        {
            section.Error("to", $"{section.Path} needs 'to': one or more addresses");
        }

        var channel = new EmailChannelSettings(name, events, smtp!, tls?.Value ?? "starttls", section.String("username"), section.Secret("password"), from!, to);
        return smtp is null || from is null || to.Count == 0 ? null : channel;
    }
}
