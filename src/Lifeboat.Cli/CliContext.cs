using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lifeboat.Operations;
using Lifeboat.Repository;

namespace Lifeboat.Cli;

/// <summary>
/// Options every command accepts, and what a running command needs from the console. Disposing it
/// disposes every repository it opened (and so their storages), after the command has run.
/// </summary>
internal sealed class CliContext(ParseResult parseResult, CancellationToken cancellationToken) : IAsyncDisposable
{
    private readonly List<BackupRepository> _opened = [];
    private string? _password;

    public static readonly Option<string?> RepoOption = new("--repo", "-r")
    {
        Description = $"Repository location: a directory, local:PATH, s3:..., azure:CONTAINER/PREFIX or sftp:USER@HOST:PATH. Default: ${StorageFactory.RepositoryVariable}",
        Recursive = true,
    };

    public static readonly Option<string?> PasswordFileOption = new("--password-file")
    {
        Description = $"Read the repository password from the first line of this file. Default: ${PasswordSource.PasswordVariable}, else a prompt",
        Recursive = true,
    };

    public static readonly Option<int> ConnectionsOption = new("--connections")
    {
        Description = "Storage operations at once (uploads, downloads)",
        DefaultValueFactory = _ => 4,
        Recursive = true,
    };

    public static readonly Option<string?> LimitUploadOption = new("--limit-upload")
    {
        Description = "Upload at most this many bytes per second, e.g. 10M",
        Recursive = true,
    };

    public static readonly Option<string?> LimitDownloadOption = new("--limit-download")
    {
        Description = "Download at most this many bytes per second, e.g. 50M",
        Recursive = true,
    };

    public static readonly Option<string[]> StorageOptionOption = new("--option", "-o")
    {
        Description = "A storage setting KEY=VALUE, e.g. -o s3.checksum=when_required (see docs/storage.md)",
        Recursive = true,
    };

    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print machine-readable JSON on stdout (no progress, errors as JSON too)",
        Recursive = true,
    };

    public static readonly Option<bool> QuietOption = new("--quiet", "-q")
    {
        Description = "Print only errors (and requested data)",
        Recursive = true,
    };

    /// <summary>
    /// The options of every --json output: metadata generated at build time (<see cref="CliJsonContext"/>),
    /// no reflection (the native binary has none; it also saves every JIT run the accessor compilation, see bench/README.md).
    /// Enums print as camelCase names; each enum an output holds is listed here (a test walks the
    /// output types and fails on one that is not).
    /// </summary>
    public static readonly JsonSerializerOptions JsonOutput = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter<Operations.Status.Health>(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = CliJsonContext.Default,

        // for a terminal and for scripts, not for embedding in HTML: quotes stay \" (not \u0022) and names
        // in other scripts stay readable (not \uXXXX); still valid JSON, escaped where JSON requires it
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public ParseResult ParseResult { get; } = parseResult;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public bool Json => ParseResult.GetValue(JsonOption);

    public bool Quiet => ParseResult.GetValue(QuietOption) || Json;

    /// <summary>Progress is shown only on a terminal, never in JSON or quiet mode.</summary>
    public bool ShowProgress => !Quiet && !Console.IsErrorRedirected;

    public string Location => StorageFactory.Resolve(ParseResult.GetValue(RepoOption));

    public int Connections => ParseResult.GetValue(ConnectionsOption) is var n and >= 1 and <= 64
        ? n
        : throw new UsageException("--connections must be between 1 and 64");

    public StorageSettings StorageSettings
    {
        get
        {
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in ParseResult.GetValue(StorageOptionOption) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"-o '{pair}' must look like KEY=VALUE, e.g. -o s3.checksum=when_required");
                }

                options[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
            }

            return new StorageSettings(
                Connections,
                StorageFactory.ParseRate(ParseResult.GetValue(LimitUploadOption), "--limit-upload"),
                StorageFactory.ParseRate(ParseResult.GetValue(LimitDownloadOption), "--limit-download"),
                options);
        }
    }

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    /// <summary>The repository password (asked for at most once per run).</summary>
    public string Password => _password ??= PasswordSource.Get(ParseResult.GetValue(PasswordFileOption));

    public async Task<BackupRepository> OpenRepositoryAsync() => await OpenRepositoryAsync(Location, Password);

    /// <summary>The repository of <c>--repo</c>, opened when a use case asks for it.</summary>
    public IRepositoryOpener RepositoryOpener => new Opener(this, Location, () => Password);

    /// <summary>The repository at <paramref name="location"/>, opened with <paramref name="password"/> when asked.</summary>
    public IRepositoryOpener OpenerFor(string location, Func<string> password) => new Opener(this, location, password);

    private sealed class Opener(CliContext context, string location, Func<string> password) : IRepositoryOpener
    {
        public string Location => location;

        /// <summary>Opens; a usage error of the location or the options is an <see cref="InvalidRequestException"/> (same message and exit code) to the use case.</summary>
        public async Task<BackupRepository> OpenAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await context.OpenRepositoryAsync(location, password());
            }
            catch (UsageException e)
            {
                throw new InvalidRequestException(e.Message);
            }
        }
    }

    /// <summary>Opens the repository at <paramref name="location"/> with the global storage settings; disposed with this context.</summary>
    public async Task<BackupRepository> OpenRepositoryAsync(string location, string password)
    {
        var repository = await StorageSetup.OpenRepositoryAsync(location, StorageSettings, password, RepositoryContext, CancellationToken);
        Own(repository);
        return repository;
    }

    /// <summary>Disposes <paramref name="repository"/> (and its storage) with this context, after the command.</summary>
    public void Own(BackupRepository repository)
    {
        lock (_opened)
        {
            _opened.Add(repository);
        }
    }

    /// <summary>
    /// Disposes the repositories opened for the command, newest first. The command's outcome is printed and its
    /// exit code chosen already: a storage that fails to close (a connection already gone) changes neither.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        BackupRepository[] opened;
        lock (_opened)
        {
            opened = [.. _opened];
            _opened.Clear();
        }

        foreach (var repository in opened.Reverse())
        {
            try
            {
                await repository.DisposeAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // nothing to tell: everything the command wrote was written (or reported) before this
            }
        }
    }

    /// <summary>The clock and identity of this run; the repository's notices go to <see cref="Info"/>.</summary>
    public RepositoryContext RepositoryContext => RepositoryContext.Default with { Notice = Info };

    /// <summary>Informational output (stderr when stdout carries data or JSON).</summary>
    public void Info(string line)
    {
        if (!Quiet)
        {
            Console.Error.WriteLine(line);
        }
    }

    public void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOutput.TypeInfo<T>()));
}
