using System.Globalization;
using System.Net;

namespace Lifeboat.Agent.Http;

/// <summary>Where the agent's HTTP endpoint listens: <c>127.0.0.1:8420</c> (the default), <c>[::1]:8420</c>, <c>localhost:8420</c>, <c>0.0.0.0:9000</c>.</summary>
internal static class ListenAddress
{
    /// <summary>The default: loopback only, so metrics and health are not on the network unless asked for.</summary>
    public const string Default = "127.0.0.1:8420";

    /// <summary>The endpoint <paramref name="text"/> names; a <see cref="FormatException"/> that says what is wrong otherwise.</summary>
    public static IPEndPoint Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"listen address '{text}' is not HOST:PORT with a port from 1 to 65535, e.g. {Default}");
        }

        var host = text[..colon].Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out var address)
            ? new IPEndPoint(address, port)
            : throw new FormatException($"listen address '{text}': '{host}' is not an IP address (or localhost); the agent listens on an address of this machine, e.g. {Default}");
    }
}
