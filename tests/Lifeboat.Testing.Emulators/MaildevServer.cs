using System.Globalization;
using System.Text.Json;

namespace Lifeboat.Testing.Emulators;

/// <summary>
/// A maildev (npm <c>maildev@2.2.1</c>) SMTP server on free 127.0.0.1 ports: SMTP on <see cref="SmtpPort"/>, and its
/// HTTP API on <see cref="WebPort"/> to read what arrived (<c>GET /email</c>). With a user and password it requires
/// SMTP AUTH. Disposing it kills the process and removes its mail directory.
/// </summary>
public sealed class MaildevServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private MaildevServer(ChildProcess process, int smtpPort, int webPort, string directory)
    {
        _process = process;
        _directory = directory;
        SmtpPort = smtpPort;
        WebPort = webPort;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}") };
    }

    /// <summary>The SMTP port (plain SMTP, no TLS).</summary>
    public int SmtpPort { get; }

    /// <summary>The port of the web UI and its HTTP API.</summary>
    public int WebPort { get; }

    /// <summary>
    /// Starts maildev and waits until both ports accept connections. With <paramref name="implicitTls"/>, SMTP is
    /// TLS from the first byte (port 465 style) with a self-signed certificate for 127.0.0.1 made here.
    /// </summary>
    public static async Task<MaildevServer> StartAsync(
        string? user = null, string? password = null, bool implicitTls = false, CancellationToken cancellationToken = default)
    {
        var maildev = TestEnvironment.NpmBinary("maildev");
        var directory = TestEnvironment.CreateTempDirectory("maildev");
        for (var attempt = 1; ; attempt++)
        {
            var smtp = TestEnvironment.GetFreePort();
            var web = TestEnvironment.GetFreePort();
            string[] auth = user is null ? [] : ["--incoming-user", user, "--incoming-pass", password ?? string.Empty];
            string[] tls = implicitTls ? SelfSignedCertificate(directory) : [];
            var process = ChildProcess.Start(
                maildev,
                ["--smtp", Port(smtp), "--web", Port(web), "--ip", "127.0.0.1", "--mail-directory", directory, .. auth, .. tls],
                directory);
            try
            {
                await process.WaitForPortAsync(web, TimeSpan.FromSeconds(30), cancellationToken);
                if (implicitTls)
                {
                    // a plain connection to its TLS port (an aborted handshake) makes maildev 2.2.1 exit: wait for its word
                    await WaitForOutputAsync(process, $"SMTP Server running at 127.0.0.1:{smtp}", TimeSpan.FromSeconds(30), cancellationToken);
                }
                else
                {
                    await process.WaitForPortAsync(smtp, TimeSpan.FromSeconds(30), cancellationToken);
                }
                return new MaildevServer(process, smtp, web, directory);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                TestEnvironment.DeleteDirectoryQuietly(directory);
                throw;
            }
        }
    }

    /// <summary>The messages received so far, oldest first.</summary>
    public async Task<IReadOnlyList<ReceivedEmail>> EmailsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri("/email", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return document.RootElement.EnumerateArray().Select(ReceivedEmail.Parse).ToArray();
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived (maildev stores them asynchronously).</summary>
    public async Task<IReadOnlyList<ReceivedEmail>> WaitForEmailsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var emails = await EmailsAsync(cancellationToken);
            if (emails.Count >= count || DateTime.UtcNow > deadline)
            {
                return emails;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Stops maildev and removes its mail.</summary>
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
        TestEnvironment.DeleteDirectoryQuietly(_directory);
    }

    private static async Task WaitForOutputAsync(ChildProcess process, string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!process.Output.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"maildev did not say \"{text}\":\n{process.Output}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static string[] SelfSignedCertificate(string directory)
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(directory, "smtp.crt");
        var keyPath = Path.Combine(directory, "smtp.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return ["--incoming-secure", "--incoming-cert", certPath, "--incoming-key", keyPath];
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One message as maildev's API reports it.</summary>
public sealed record ReceivedEmail(string Subject, IReadOnlyList<string> From, IReadOnlyList<string> To, string Text, IReadOnlyDictionary<string, string> Headers)
{
    internal static ReceivedEmail Parse(JsonElement email) => new(
        email.TryGetProperty("subject", out var subject) ? subject.GetString() ?? string.Empty : string.Empty,
        Addresses(email, "from"),
        Addresses(email, "to"),
        email.TryGetProperty("text", out var text) ? text.GetString() ?? string.Empty : string.Empty,
        email.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object
            ? headers.EnumerateObject().ToDictionary(h => h.Name, h => h.Value.ValueKind == JsonValueKind.String ? h.Value.GetString()! : h.Value.ToString(), StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>());

    private static string[] Addresses(JsonElement email, string field) =>
        email.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(a => a.GetProperty("address").GetString() ?? string.Empty).ToArray()
            : [];
}
