using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Tests;

public sealed class SecretPolicyTests
{
    [Theory]
    [InlineData("password", "hunter2")]
    [InlineData("token", "xoxb-123")]
    [InlineData("routing_key", "R0123456789")]
    [InlineData("webhook_url", "https://hooks.slack.com/services/T/B/X")]
    [InlineData("hmac_secret", "s3cr3t")]
    public void A_literal_value_of_a_secret_key_is_refused(string key, string value) =>
        SecretPolicy.LiteralSecretReason(key, value).Should().NotBeNull().And.NotContain(value);

    [Theory]
    [InlineData("password", "${PGPASSWORD}")]
    [InlineData("password_file", "/etc/lifeboat/db.pass")]
    [InlineData("webhook_url", "${SLACK_WEBHOOK_URL}")]
    [InlineData("host", "db.example.com")]
    [InlineData("url", "https://ntfy.sh/lifeboat")]
    [InlineData("location", "sftp://backup@host:2222/srv/lifeboat")]
    public void References_files_and_ordinary_values_are_accepted(string key, string value) =>
        SecretPolicy.LiteralSecretReason(key, value).Should().BeNull();

    [Fact]
    public void A_url_with_a_password_in_it_is_refused_under_any_key() =>
        SecretPolicy.LiteralSecretReason("location", "sftp://backup:hunter2@host/srv").Should().NotBeNull().And.NotContain("hunter2");

    [Fact]
    public void An_env_reference_must_be_the_whole_value() =>
        SecretPolicy.IsEnvReference("prefix-${TOKEN}").Should().BeFalse();
}
