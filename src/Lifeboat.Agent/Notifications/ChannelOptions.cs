namespace Lifeboat.Agent.Notifications;

/// <summary>How an SMTP connection is secured: <c>starttls</c> (upgrade on port 587), <c>tls</c> (implicit, port 465), <c>none</c>.</summary>
internal enum SmtpTls
{
    StartTls,
    Tls,
    None,
}

/// <summary>The plan file's <c>type: email</c> channel.</summary>
/// <param name="Smtp">The server as <c>HOST:PORT</c> (the port defaults to 587 for starttls, 465 for tls, 25 for none).</param>
/// <param name="Tls">How the connection is secured.</param>
/// <param name="Username">The login, or null for none.</param>
/// <param name="Password">The password (from <c>${ENV}</c> or a file, never in the plan file); null for none.</param>
/// <param name="From">The sender address.</param>
/// <param name="To">The recipients.</param>
internal sealed record EmailChannelOptions(string Smtp, SmtpTls Tls, string? Username, string? Password, string From, IReadOnlyList<string> To)
{
    /// <summary>Prints without the password.</summary>
    public override string ToString() => $"email via {Smtp} ({Tls}) to {string.Join(", ", To)}";
}

/// <summary>The plan file's <c>type: slack</c> channel: an incoming webhook (the URL is the secret).</summary>
internal sealed record SlackChannelOptions(Uri WebhookUrl)
{
    /// <summary>Prints without the URL's secret path.</summary>
    public override string ToString() => $"slack {Redaction.Url(WebhookUrl)}";
}

/// <summary>The plan file's <c>type: webhook</c> channel: JSON POSTed to <paramref name="Url"/>, signed with <paramref name="Secret"/>.</summary>
internal sealed record WebhookChannelOptions(Uri Url, string? Secret)
{
    /// <summary>Prints without the secret or the URL's path.</summary>
    public override string ToString() => $"webhook {Redaction.Url(Url)}";
}

/// <summary>The plan file's <c>type: pagerduty</c> channel (Events API v2); <paramref name="Url"/> overrides the API's base URL.</summary>
internal sealed record PagerDutyChannelOptions(string RoutingKey, Uri? Url = null)
{
    /// <summary>The Events API v2's base URL.</summary>
    public static readonly Uri DefaultUrl = new("https://events.pagerduty.com");

    /// <summary>Prints without the routing key.</summary>
    public override string ToString() => $"pagerduty {(Url ?? DefaultUrl).GetLeftPart(UriPartial.Authority)}";
}

/// <summary>The plan file's <c>type: ntfy</c> channel: a topic URL and an optional access token.</summary>
internal sealed record NtfyChannelOptions(Uri Url, string? Token)
{
    /// <summary>Prints without the token or the topic (a topic name on a public server is a secret).</summary>
    public override string ToString() => $"ntfy {Redaction.Url(Url)}";
}

/// <summary>The plan file's <c>type: ping</c> channel: a healthchecks-style URL (<c>URL/start</c>, <c>URL</c>, <c>URL/fail</c>).</summary>
internal sealed record PingChannelOptions(Uri Url)
{
    /// <summary>Prints without the URL's path (its UUID is the secret).</summary>
    public override string ToString() => $"ping {Redaction.Url(Url)}";
}
