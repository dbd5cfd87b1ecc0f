namespace Lifeboat.Storage.Sftp.Tests;

public sealed class KnownHostsTests
{
    private static readonly byte[] Key = [1, 2, 3, 4];
    private static readonly byte[] OtherKey = [5, 6, 7, 8];
    private static readonly string KeyText = Convert.ToBase64String(Key);
    private static readonly string OtherKeyText = Convert.ToBase64String(OtherKey);

    [Fact]
    public void Port_22_uses_the_bare_name_and_other_ports_the_bracketed_form()
    {
        var knownHosts = KnownHosts.Parse([$"host.example,10.0.0.1 ssh-ed25519 {KeyText}", $"[host.example]:2222 ssh-ed25519 {OtherKeyText}"]);

        knownHosts.Check("host.example", 22, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Trusted);
        knownHosts.Check("10.0.0.1", 22, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Trusted);
        knownHosts.Check("host.example", 2222, "ssh-ed25519", OtherKey).Should().Be(KnownHosts.Verdict.Trusted);
        knownHosts.Check("host.example", 2222, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Changed);
        knownHosts.Check("elsewhere", 22, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Unknown);
    }

    [Fact]
    public void Wildcards_negations_and_revocations_apply()
    {
        var knownHosts = KnownHosts.Parse([
            "# comment",
            $"*.example,!bad.example ssh-ed25519 {KeyText}",
            $"@revoked * ssh-ed25519 {OtherKeyText}",
            "@cert-authority * ssh-ed25519 AAAA",
            "garbage",
        ]);

        knownHosts.Check("a.example", 22, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Trusted);
        knownHosts.Check("bad.example", 22, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Unknown);
        knownHosts.Check("a.example", 22, "ssh-ed25519", OtherKey).Should().Be(KnownHosts.Verdict.Revoked);
    }

    [Fact]
    public void A_key_of_another_type_is_unknown_rather_than_changed() =>
        KnownHosts.Parse([$"host ssh-rsa {OtherKeyText}"]).Check("host", 22, "ssh-ed25519", Key).Should().Be(KnownHosts.Verdict.Unknown);

    [Fact]
    public void The_fingerprint_has_the_openssh_form() =>
        KnownHosts.Fingerprint(Key).Should().StartWith("SHA256:").And.NotEndWith("=");
}
