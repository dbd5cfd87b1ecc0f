using System.CommandLine;
using Lifeboat.Operations.Audit;
using Lifeboat.Repository;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;

namespace Lifeboat.Cli.Commands;

/// <summary><c>init</c>, <c>key ...</c> and <c>unlock</c>.</summary>
internal static class RepositoryCommands
{
    private static readonly Option<int> KdfMemoryOption = new("--kdf-memory")
    {
        Description = "Argon2id memory in MiB for the password's key (8 to 4096; more is slower to guess)",
        DefaultValueFactory = _ => KdfParameters.Default.MemoryKiB / 1024,
    };

    private static readonly Option<string?> NewPasswordFileOption = new("--new-password-file")
    {
        Description = $"Read the new password from this file. Default: ${PasswordSource.NewPasswordVariable}, else a prompt",
    };

    public static Command Init()
    {
        var compression = new Option<int>("--compression")
        {
            Description = "zstd level for stored data, 0 (off) to 19",
            DefaultValueFactory = _ => new RepositoryInitOptions().CompressionLevel,
        };
        var chunkSize = new Option<int>("--chunk-size")
        {
            Description = "Average chunk size in KiB, a power of two from 64 to 8192 (chunks are 1/4 to 4x that). Smaller stores less " +
                "after scattered small changes, larger keeps the index smaller. Fixed for the repository's life",
            DefaultValueFactory = _ => ChunkerParameters.Default.AverageSize / 1024,
        };
        var command = new Command("init", "Create a new, empty, encrypted repository") { KdfMemoryOption, compression, chunkSize };
        return command.WithAction(async context =>
        {
            var location = context.Location;
            var password = PasswordSource.GetForInit(context.Get(CliContext.PasswordFileOption));
            var options = new RepositoryInitOptions
            {
                Kdf = Kdf(context),
                CompressionLevel = Validate(context.Get(compression), 0, 19, "--compression"),
                Chunker = ChunkerParameters.ForAverage(ValidChunkSize(context.Get(chunkSize)) * 1024),
            };
            var started = RepositoryContext.Default.Time.GetUtcNow();
            var (storage, chosen) = await StorageSetup.PrepareForInitAsync(location, context.StorageSettings, context.Info, context.CancellationToken);
            BackupRepository repository;
            try
            {
                repository = await BackupRepository.InitAsync(
                    storage, password, options with { StorageSettings = chosen }, RepositoryContext.Default, context.CancellationToken);
            }
            catch
            {
                await storage.DisposeAsync();
                throw;
            }

            context.Own(repository);
            try
            {
                await OperationAudit.AppendAsync(repository, "init", started, new AuditFacts(), context.CancellationToken);
            }
            catch (IntegrityException)
            {
                // the store altered the first audit record: take the new repository away again, nothing is left half-made
                await RemoveNewRepositoryAsync(repository);
                throw;
            }
            if (context.Json)
            {
                context.WriteJson(new InitOutput(location, repository.Config.Id, repository.KeyId.ToString()));
            }
            else
            {
                context.Info($"created repository {repository.Config.Id[..8]} at {storage.Location}");
                context.Info("Keep the password safe: without it the backups cannot be read by anyone, including you.");
            }

            return ExitCodes.Ok;
        });
    }

    private static async Task RemoveNewRepositoryAsync(BackupRepository repository)
    {
        var storage = repository.Storage;
        var names = new List<string>();
        await foreach (var info in storage.ListAsync(Repository.Audit.AuditLog.Prefix, CancellationToken.None))
        {
            names.Add(info.Name);
        }

        foreach (var name in names.Append(KeyRing.ObjectName(repository.KeyId)).Append(BackupRepository.ConfigName))
        {
            await storage.DeleteAsync(name, CancellationToken.None);
        }
    }

    private static int ValidChunkSize(int kib) => kib is >= 64 and <= 8192 && int.IsPow2(kib)
        ? kib
        : throw new UsageException($"--chunk-size {kib} is not allowed: give a power of two from 64 to 8192 (KiB), e.g. --chunk-size 256");

    public static Command Key()
    {
        var key = new Command("key", "Manage the passwords (keys) that open the repository");

        var list = new Command("list", "List the keys");
        key.Subcommands.Add(list.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var keys = await KeyRing.ListAsync(repository, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(keys);
                return ExitCodes.Ok;
            }

            Console.Out.WriteLine($"{"",1} {"ID",-10} {"CREATED",-20} {"USER@HOST",-30} LABEL");
            foreach (var k in keys)
            {
                Console.Out.WriteLine(k.Damaged
                    ? $"{"!",1} {k.Id[..Math.Min(8, k.Id.Length)],-10} DAMAGED"
                    : $"{(k.Current ? "*" : " "),1} {k.Id[..8],-10} {k.Created,-20:yyyy-MM-dd HH:mm:ss} {k.User + "@" + k.Host,-30} {k.Label}");
            }

            return ExitCodes.Ok;
        }));

        var label = new Option<string?>("--label") { Description = "A note to recognise the key by, e.g. 'ops vault'" };
        var add = new Command("add", "Add a password that also opens the repository") { NewPasswordFileOption, KdfMemoryOption, label };
        key.Subcommands.Add(add.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var newPassword = PasswordSource.GetNew(context.Get(NewPasswordFileOption));
            var id = await OperationAudit.RunAsync(repository, "key add", ct => KeyRing.AddAsync(repository, newPassword, Kdf(context), context.Get(label), ct),
                (k, _) => Task.FromResult(KeyFacts(k.ToString())), context.CancellationToken);
            Report(context, "added key", id.ToString());
            return ExitCodes.Ok;
        }));

        var idArgument = new Argument<string>("ID") { Description = "The key's id, or enough of its first digits" };
        var remove = new Command("remove", "Remove a key (not the one in use, never the last)") { idArgument };
        key.Subcommands.Add(remove.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var id = context.Get(idArgument)!;
            await OperationAudit.RunAsync(repository, "key remove", async ct => { await KeyRing.RemoveAsync(repository, id, ct); return id; },
                (k, _) => Task.FromResult(KeyFacts(k)), context.CancellationToken);
            Report(context, "removed key", id);
            return ExitCodes.Ok;
        }));

        var passwd = new Command("passwd", "Change the password of the key in use") { NewPasswordFileOption, KdfMemoryOption };
        key.Subcommands.Add(passwd.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var newPassword = PasswordSource.GetNew(context.Get(NewPasswordFileOption));
            var id = await OperationAudit.RunAsync(repository, "key passwd", ct => KeyRing.ChangePasswordAsync(repository, newPassword, Kdf(context), ct),
                (k, _) => Task.FromResult(KeyFacts(k.ToString())), context.CancellationToken);
            Report(context, "changed the password; the key is now", id.ToString());
            return ExitCodes.Ok;
        }));
        return key;
    }

    public static Command Unlock()
    {
        var all = new Option<bool>("--remove-all") { Description = "Remove every lock, also live ones (only when you are sure nothing runs)" };
        var command = new Command("unlock", "Remove stale locks left by processes that died") { all };
        return command.WithAction(async context =>
        {
            var repository = await context.OpenRepositoryAsync();
            var live = (await Locks.ListAsync(repository, context.CancellationToken)).Where(l => !l.Stale).ToList();
            var removed = await Locks.RemoveAsync(repository, context.Get(all), context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(new UnlockOutput(removed, context.Get(all) ? 0 : live.Count));
                return ExitCodes.Ok;
            }

            context.Info($"removed {removed} lock(s)");
            if (!context.Get(all))
            {
                foreach (var entry in live)
                {
                    context.Info($"kept live {entry.Info?.Describe()}");
                }
            }

            return ExitCodes.Ok;
        });
    }

    private static void Report(CliContext context, string what, string id)
    {
        if (context.Json)
        {
            context.WriteJson(new KeyOutput(id));
        }
        else
        {
            context.Info($"{what} {id[..Math.Min(8, id.Length)]}");
        }
    }

    private static AuditFacts KeyFacts(string keyId) => new() { Details = new Dictionary<string, string> { ["key"] = keyId } };

    private static KdfParameters Kdf(CliContext context) =>
        KdfParameters.Default with { MemoryKiB = Validate(context.Get(KdfMemoryOption), 8, 4096, "--kdf-memory") * 1024 };

    private static int Validate(int value, int min, int max, string option) =>
        value >= min && value <= max ? value : throw new UsageException($"{option} must be between {min} and {max}, not {value}");
}
