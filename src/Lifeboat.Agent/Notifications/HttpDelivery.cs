using System.Net;
using System.Net.Sockets;

namespace Lifeboat.Agent.Notifications;

/// <summary>
/// Sends one HTTP request for a channel and turns what goes wrong into a <see cref="ChannelException"/> that names no
/// secret: a status (<c>HTTP 500 (InternalServerError)</c>) or the kind of network error, never the URL.
/// </summary>
internal static class HttpDelivery
{
    /// <summary>Sends <paramref name="request"/>; a non-success status or a network error is a <see cref="ChannelException"/>.</summary>
    /// <param name="secrets">The channel's secrets (its URL, token, key), scrubbed from any message that could contain them.</param>
    public static async Task SendAsync(HttpClient http, HttpRequestMessage request, string channel, string?[] secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(request);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            var why = e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : e.HttpRequestError.ToString();
            throw new ChannelException(Redaction.Scrub($"{channel}: the request failed ({why})", secrets), transient: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChannelException($"{channel}: the request timed out", transient: true);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            var status = response.StatusCode;
            var transient = (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
            throw new ChannelException($"{channel}: HTTP {(int)status} ({status})", transient);
        }
    }
}
