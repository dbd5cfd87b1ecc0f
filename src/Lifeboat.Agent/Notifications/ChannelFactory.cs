using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Notifications;

/// <summary>
/// The one mapping from the plan file's channels (<see cref="ChannelSettings"/>) to the channels that send
/// (<c>*ChannelOptions</c>, then <see cref="INotificationChannel"/>). Secrets (<c>${NAME}</c>) are resolved here, when
/// the channel is made, from the environment given; an unset variable is a <see cref="ChannelConfigurationException"/>.
/// </summary>
internal static class ChannelFactory
{
    /// <summary>The route of <paramref name="settings"/>: its name, its channel, and its <c>events:</c> (or its type's default).</summary>
    /// <exception cref="ChannelConfigurationException">A secret's variable is not set, or a URL is not an http(s) URL.</exception>
    public static ChannelRoute Route(ChannelSettings settings, Func<string, string?> environment, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var events = settings.Events.Count > 0
            ? new HashSet<string>(settings.Events, StringComparer.Ordinal)
            : settings is PingChannelSettings ? ChannelRoute.PingEvents : ChannelRoute.AlertEvents;
        return new ChannelRoute(settings.Name, Channel(settings, environment, http), events);
    }

    /// <summary>The channel that sends for <paramref name="settings"/>.</summary>
    /// <exception cref="ChannelConfigurationException">A secret's variable is not set, or a URL is not an http(s) URL.</exception>
    public static INotificationChannel Channel(ChannelSettings settings, Func<string, string?> environment, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(http);
        return settings switch
        {
            EmailChannelSettings email => new EmailChannel(Options(email, environment)),
            SlackChannelSettings slack => new SlackChannel(Options(slack, environment), http),
            WebhookChannelSettings webhook => new WebhookChannel(Options(webhook, environment), http),
            PagerDutyChannelSettings pagerDuty => new PagerDutyChannel(Options(pagerDuty, environment), http),
            NtfyChannelSettings ntfy => new NtfyChannel(Options(ntfy, environment), http),
            PingChannelSettings ping => new PingChannel(Options(ping), http),
            _ => throw new ChannelConfigurationException(settings.Name, $"the channel type '{settings.Type}' cannot send"),
        };
    }

    public static EmailChannelOptions Options(EmailChannelSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var tls = settings.Tls switch
        {
            "tls" => SmtpTls.Tls,
            "none" => SmtpTls.None,
            _ => SmtpTls.StartTls,
        };
        return new EmailChannelOptions(settings.Smtp, tls, settings.Username, Secret(settings, settings.Password, environment), settings.From, settings.To);
    }

    public static SlackChannelOptions Options(SlackChannelSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SlackChannelOptions(Url(settings, "webhook_url", Secret(settings, settings.WebhookUrl, environment)!));
    }

    public static WebhookChannelOptions Options(WebhookChannelSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new WebhookChannelOptions(Url(settings, "url", settings.Url), Secret(settings, settings.Secret, environment));
    }

    public static PagerDutyChannelOptions Options(PagerDutyChannelSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var url = settings.Url is null ? null : Url(settings, "url", settings.Url);
        return new PagerDutyChannelOptions(Secret(settings, settings.RoutingKey, environment)!, url);
    }

    public static NtfyChannelOptions Options(NtfyChannelSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new NtfyChannelOptions(Url(settings, "url", settings.Url), Secret(settings, settings.Token, environment));
    }

    public static PingChannelOptions Options(PingChannelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new PingChannelOptions(Url(settings, "url", settings.Url));
    }

    private static string? Secret(ChannelSettings settings, EnvReference? reference, Func<string, string?> environment)
    {
        if (reference is null)
        {
            return null;
        }

        try
        {
            return reference.Resolve(environment);
        }
        catch (InvalidOperationException e)
        {
            // EnvReference's message names the variable, never a value
            throw new ChannelConfigurationException(settings.Name, e.Message);
        }
    }

    /// <summary>An absolute http or https URL; the error names the key only (the URL itself may be the secret).</summary>
    private static Uri Url(ChannelSettings settings, string key, string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw new ChannelConfigurationException(settings.Name, $"'{key}' is not an absolute http or https URL");
}
