namespace Lifeboat.Agent.Notifications;

/// <summary>
/// A plan-file channel that cannot be made: a <c>${NAME}</c> secret whose variable is not set, or a URL that is not
/// one. The message names the channel and the key or variable, never a value (a URL may hold the secret).
/// </summary>
public sealed class ChannelConfigurationException(string channel, string reason) : Exception($"channel {channel}: {reason}")
{
    /// <summary>The channel's name in the plan file.</summary>
    public string Channel { get; } = channel;

    /// <summary>What is wrong, without the channel's name (<c>the environment variable X named by the plan file is not set</c>).</summary>
    public string Reason { get; } = reason;
}
