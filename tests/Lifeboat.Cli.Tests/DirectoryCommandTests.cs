using System.Diagnostics;
using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class DirectoryCommandTests : IDisposable
{
    private readonly TestRepo _repo = new();

    private string Source => Path.Combine(_repo.Root, "source");

    [Fact]
    public async Task A_tree_backed_up_and_restored_into_an_empty_directory_equals_its_source()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 50_000_000);

        var backup = await _repo.Cli.RunAsync("backup", "--path", Source, "--json");
        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", Path.Combine(_repo.Root, "restored"));

        backup.ExitCode.Should().Be(0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            json.RootElement.GetProperty("files").GetInt32().Should().Be(6);
            json.RootElement.GetProperty("directories").GetInt32().Should().Be(8);
            json.RootElement.GetProperty("unreadable").GetArrayLength().Should().Be(0);
        }

        restore.ExitCode.Should().Be(0, restore.ToString());
        DirectoryTree.Describe(Path.Combine(_repo.Root, "restored", "source")).Should().Equal(DirectoryTree.Describe(Source));
        var ls = await _repo.Cli.RunAsync("ls", "latest");
        ls.Out.Should().Contain("-rw-r----- ").And.Contain("source/config.yaml").And.Contain("source/link to config -> config.yaml")
            .And.Contain("source/ünïcødé dîr ✓/日本語 ファイル.txt").And.Contain(" 2021-03-");
        (await _repo.DumpAsync("latest", "source/deep/secret")).Should().Equal("s3cret\n"u8.ToArray());
    }

    [Fact]
    public async Task A_megabyte_changed_inside_a_big_file_adds_about_a_megabyte_and_the_other_files_are_not_read_again()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 50_000_000);
        var first = await _repo.Cli.RunAsync("backup", "--path", Source, "--json");
        first.ExitCode.Should().Be(0, first.ToString());
        await using (var big = new FileStream(Path.Combine(Source, DirectoryTree.BigFile), FileMode.Open, FileAccess.Write))
        {
            big.Position = 20_000_000;
            await big.WriteAsync(TestRepo.RandomBytes(1_000_000, 99));
        }

        var second = await _repo.Cli.RunAsync("backup", "--path", Source, "--json");

        second.ExitCode.Should().Be(0, second.ToString());
        using var json = JsonDocument.Parse(second.Stdout);
        var summary = json.RootElement.GetProperty("summary");
        json.RootElement.GetProperty("unchangedFiles").GetInt32().Should().Be(5, "only the big file changed");
        summary.GetProperty("bytesRead").GetInt64().Should().Be(50_000_000, "only the big file is read again");
        // 1 MB changed touches the chunks around it (1 MiB on average, at most 4 MiB each)
        summary.GetProperty("newBytes").GetInt64().Should().BeInRange(1_000_000, 10_000_000);
        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", Path.Combine(_repo.Root, "restored"));
        restore.ExitCode.Should().Be(0, restore.ToString());
        DirectoryTree.Describe(Path.Combine(_repo.Root, "restored", "source")).Should().Equal(DirectoryTree.Describe(Source));
    }

    [NotRootFact]
    public async Task A_file_without_read_permission_is_reported_the_rest_is_saved_and_the_exit_code_says_partial()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 1_000_000);
        File.SetUnixFileMode(Path.Combine(Source, "deep/secret"), UnixFileMode.None);

        var backup = await _repo.Cli.RunAsync("backup", "--path", Source, "--json");

        File.SetUnixFileMode(Path.Combine(Source, "deep/secret"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        backup.ExitCode.Should().Be(ExitCodes.Partial, backup.ToString());
        backup.Stderr.Should().Contain("could not read source/deep/secret");
        using var json = JsonDocument.Parse(backup.Stdout);
        json.RootElement.GetProperty("unreadable")[0].GetProperty("path").GetString().Should().Be("source/deep/secret");
        json.RootElement.GetProperty("files").GetInt32().Should().Be(5);
    }

    [Fact]
    public async Task A_name_that_is_not_utf8_is_reported_the_rest_is_saved_and_the_exit_code_says_partial()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 1_000_000);
        // a name no .NET string can hold: made by the shell, with the bytes \xff\xfe
        using (var shell = Process.Start("bash", ["-c", $"printf x > \"$1\"/$'bad\\xff\\xfename'", "bash", Source])!)
        {
            await shell.WaitForExitAsync();
            shell.ExitCode.Should().Be(0);
        }

        var backup = await _repo.Cli.RunAsync("backup", "--path", Source, "--json");

        backup.ExitCode.Should().Be(ExitCodes.Partial, backup.ToString());
        backup.Stderr.Should().Contain("the name is not valid UTF-8");
        using var json = JsonDocument.Parse(backup.Stdout);
        json.RootElement.GetProperty("unreadable").GetArrayLength().Should().Be(1);
        json.RootElement.GetProperty("files").GetInt32().Should().Be(6);
        using var reports = JsonDocument.Parse((await _repo.Cli.RunAsync("evidence", "list", "--json")).Stdout);
        var report = await _repo.Cli.RunAsync("evidence", "show", reports.RootElement[reports.RootElement.GetArrayLength() - 1].GetProperty("id").GetString()!, "--format", "json");
        report.Out.Should().Contain("\"unreadable\"").And.Contain("it is not in the snapshot");
        (await _repo.Cli.RunAsync("restore", "latest", "--to-dir", Path.Combine(_repo.Root, "restored"))).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task A_file_written_to_while_it_is_read_is_reported_as_changed_and_stored_as_read()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 40_000_000);
        var growing = Path.Combine(Source, DirectoryTree.BigFile);
        using var stop = new CancellationTokenSource();
        // appends all through the backup, so the file differs after its read from what it was before
        var writer = Task.Run(async () =>
        {
            await using var file = new FileStream(growing, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            while (!stop.IsCancellationRequested)
            {
                await file.WriteAsync(new byte[4096]);
                await file.FlushAsync();
                await Task.Delay(5);
            }
        });

        var backup = await _repo.Cli.RunAsync("backup", "--path", Source, "--json");

        await stop.CancelAsync();
        await writer;
        backup.ExitCode.Should().Be(0, backup.ToString());
        backup.Stderr.Should().Contain("source/" + DirectoryTree.BigFile).And.Contain("changed while read");
        using var json = JsonDocument.Parse(backup.Stdout);
        json.RootElement.GetProperty("changed")[0].GetProperty("path").GetString().Should().Be("source/" + DirectoryTree.BigFile);
        (await _repo.Cli.RunAsync("check", "--read-data")).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Restore_refuses_a_directory_that_is_not_empty_and_overwrites_only_when_told()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 1_000);
        (await _repo.Cli.RunAsync("backup", "--path", Source)).ExitCode.Should().Be(0);
        var target = Path.Combine(_repo.Root, "target");
        Directory.CreateDirectory(Path.Combine(target, "source"));
        await File.WriteAllTextAsync(Path.Combine(target, "source", "config.yaml"), "mine");

        var refused = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", target);

        refused.ExitCode.Should().Be(ExitCodes.TargetNotEmpty, refused.ToString());
        refused.Stderr.Should().Contain("is not empty").And.Contain("--overwrite");
        (await File.ReadAllTextAsync(Path.Combine(target, "source", "config.yaml"))).Should().Be("mine");
        Directory.EnumerateFileSystemEntries(Path.Combine(target, "source")).Should().HaveCount(1);
        var overwritten = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", target, "--overwrite");
        overwritten.ExitCode.Should().Be(0, overwritten.ToString());
        DirectoryTree.Describe(Path.Combine(target, "source")).Should().Equal(DirectoryTree.Describe(Source));
    }

    [Fact]
    public async Task Restore_with_include_writes_only_the_matching_paths_and_excludes_leave_paths_out_of_the_backup()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 1_000);
        (await _repo.Cli.RunAsync("backup", "--path", Source, "--exclude", "*.sh", "--exclude", Path.Combine(Source, "empty too"))).ExitCode.Should().Be(0);
        var target = Path.Combine(_repo.Root, "target");

        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", target, "--include", "source/deep", "--include", "*.yaml");

        restore.ExitCode.Should().Be(0, restore.ToString());
        var restored = DirectoryTree.Describe(Path.Combine(target, "source"));
        restored.Keys.Should().Contain(["config.yaml", "deep/secret", DirectoryTree.BigFile, "deep/dangling"]);
        restored.Keys.Should().NotContain(["deep/run.sh", "empty too", "empty", "link to config"]);
        restored["deep/secret"].Should().Be(DirectoryTree.Describe(Source)["deep/secret"]);
    }

    [Fact]
    public async Task Snapshots_check_copy_forget_and_prune_handle_directory_snapshots()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 3_000_000);
        (await _repo.Cli.RunAsync("backup", "--path", Source)).ExitCode.Should().Be(0);
        await File.WriteAllTextAsync(Path.Combine(Source, "config.yaml"), "name: app\nport: 9090\n");
        (await _repo.Cli.RunAsync("backup", "--path", Source, "--tag", "second")).ExitCode.Should().Be(0);
        var other = Path.Combine(_repo.Root, "other");
        var otherPassword = Path.Combine(_repo.Root, "other-password");
        await File.WriteAllTextAsync(otherPassword, "other password\n");
        (await _repo.Cli.RunAsync("-r", other, "--password-file", otherPassword, "init", "--kdf-memory", "8")).ExitCode.Should().Be(0);

        var list = await _repo.Cli.RunAsync("snapshots", "--json");
        var copy = await _repo.Cli.RunAsync("-r", other, "--password-file", otherPassword, "copy", "--from", _repo.Path_, "--from-password-file", PasswordFile());
        var forget = await _repo.Cli.RunAsync("forget", "--keep-last", "1", "--prune");
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        var checkOther = await _repo.Cli.RunAsync("-r", other, "--password-file", otherPassword, "check", "--read-data");

        list.ExitCode.Should().Be(0, list.ToString());
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            json.RootElement.EnumerateArray().Select(s => s.GetProperty("kind").GetString()).Should().Equal("directory", "directory");
        }

        copy.ExitCode.Should().Be(0, copy.ToString());
        forget.ExitCode.Should().Be(0, forget.ToString());
        forget.Stderr.Should().Contain("removed 1 snapshot(s)");
        check.ExitCode.Should().Be(0, check.ToString());
        checkOther.ExitCode.Should().Be(0, checkOther.ToString());
        var expected = DirectoryTree.Describe(Source);
        var fromKept = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", Path.Combine(_repo.Root, "kept"));
        fromKept.ExitCode.Should().Be(0, fromKept.ToString());
        DirectoryTree.Describe(Path.Combine(_repo.Root, "kept", "source")).Should().Equal(expected);
        var fromCopy = await _repo.Cli.RunAsync("-r", other, "--password-file", otherPassword, "restore", "latest", "--to-dir", Path.Combine(_repo.Root, "copied"));
        fromCopy.ExitCode.Should().Be(0, fromCopy.ToString());
        DirectoryTree.Describe(Path.Combine(_repo.Root, "copied", "source")).Should().Equal(expected);
    }

    [Fact]
    public async Task A_backup_killed_midway_leaves_a_repository_that_checks_clean_and_the_next_backup_completes()
    {
        await _repo.InitAsync();
        DirectoryTree.Create(Source, 60_000_000);
        using (var process = _repo.Cli.Start("backup", "--path", Source))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            // killed once it has stored data (packs appear), before it commits
            var clock = Stopwatch.StartNew();
            while (!_repo.Files("data").Any() && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(20);
            }

            process.HasExited.Should().BeFalse("the backup must still run when it is killed");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await stderr;
        }

        (await _repo.Cli.RunAsync("snapshots", "--json")).Out.Trim().Should().Be("[]", "nothing was committed");
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        var next = await _repo.Cli.RunAsync("backup", "--path", Source);
        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to-dir", Path.Combine(_repo.Root, "restored"));

        check.ExitCode.Should().Be(0, check.ToString());
        next.ExitCode.Should().Be(0, next.ToString());
        restore.ExitCode.Should().Be(0, restore.ToString());
        DirectoryTree.Describe(Path.Combine(_repo.Root, "restored", "source")).Should().Equal(DirectoryTree.Describe(Source));
    }

    private string PasswordFile()
    {
        var path = Path.Combine(_repo.Root, "password");
        File.WriteAllText(path, TestRepo.Password + "\n");
        return path;
    }

    public void Dispose() => _repo.Dispose();
}
