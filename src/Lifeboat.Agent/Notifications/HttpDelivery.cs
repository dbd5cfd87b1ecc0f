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
    /// <param name="channel">The channel as it may be printed (no secret: the options' <c>ToString</c>).</param>
    public static async Task SendAsync(HttpClient http, HttpRequestMessage request, string channel, CancellationToken cancellationToken)
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
            // the kind of error only: the exception's message can hold the URL
            var why = e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : e.HttpRequestError.ToString();
            throw new ChannelException($"{channel}: the request failed ({why})", transient: true);
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
