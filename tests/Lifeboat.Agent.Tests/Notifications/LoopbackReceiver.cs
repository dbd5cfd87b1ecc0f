using System.Collections.Concurrent;
using System.Net;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Agent.Tests.Notifications;

/// <summary>One request the receiver got.</summary>
internal sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A real HTTP server on a free 127.0.0.1 port (HttpListener) that records every request and answers with the
/// statuses it is given, in order (the last one repeats; 200 when none is given).
/// </summary>
internal sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly int[] _statuses;
    private readonly Task _loop;
    private int _answered;

    private LoopbackReceiver(HttpListener listener, int port, int[] statuses)
    {
        _listener = listener;
        _statuses = statuses.Length == 0 ? [200] : statuses;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseUrl { get; }

    public IReadOnlyList<ReceivedRequest> Requests => _requests.ToArray();

    public static LoopbackReceiver Start(params int[] statuses)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = TestEnvironment.GetFreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new LoopbackReceiver(listener, port, statuses);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    public Uri Url(string path) => new(BaseUrl, path);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
                .ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            _requests.Enqueue(new ReceivedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body.ToArray()));
            var index = Math.Min(Interlocked.Increment(ref _answered) - 1, _statuses.Length - 1);
            context.Response.StatusCode = _statuses[index];
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // the managed listener's prefix removal can race another listener on loopback ("address already in use"):
            // the receiver is closed either way, and what it received was checked before
        }

        await _loop;
    }
}
