namespace Lifeboat.Agent.Tests;

/// <summary>Plan files of the tests: the full example of docs/agent.md, and small ones built from parts.</summary>
internal static class PlanFileSamples
{
    public const string Full = """
        agent:
          listen: 127.0.0.1:8420
          journal: /var/lib/lifeboat/journal.db
          concurrency: 2
          remind_every: 4h
        repositories:
          main:
            url: s3:https://s3.example.com/bucket/lifeboat
            password_file: /etc/lifeboat/main.pass
            quota: 500GiB
            storage_alert_percent: 80
          offsite:
            url: sftp:backup@host:/srv/lifeboat
            password: ${LIFEBOAT_OFFSITE_PASSWORD}
        sources:
          app:
            db: postgres://backup@db.example.com:5432/app
            password_file: /etc/lifeboat/db.pass
            jobs: 4
            profile: supabase
            schemas: [public]
            globals: true
            physical_order: false
        plans:
          app-6h:
            source: app
            repository: main
            copies: [offsite]
            notify: [ops-mail, slack]
            backup:
              schedule: every 6h
              time_zone: Europe/Paris
              missed: run_once
              max_delay: 15m
              jitter: 5m
              tags: [scheduled]
              max_age: 25h
            retention: { keep_last: 3, keep_hourly: 0, keep_daily: 30, keep_weekly: 12, keep_monthly: 12, keep_yearly: 7 }
            check:   { schedule: "0 3 * * 0", read_data_subset: 4 }
            drill:   { schedule: "0 4 1 * *", scratch: postgres://drill@staging:5432/postgres, checks: /etc/lifeboat/checks.yaml, rto: 30m, rpo: 7h }
            prune:   { schedule: "0 5 * * 0" }
        channels:
          ops-mail:  { type: email, smtp: smtp.example.com:587, tls: starttls, username: lifeboat, password: "${SMTP_PASSWORD}", from: lifeboat@example.com, to: [ops@example.com] }
          slack:     { type: slack, webhook_url: "${SLACK_WEBHOOK_URL}", events: [failure, recovered] }
          hook:      { type: webhook, url: https://hooks.example.com/lifeboat, secret: "${HOOK_SECRET}" }
          pd:        { type: pagerduty, routing_key: "${PD_ROUTING_KEY}" }
          phone:     { type: ntfy, url: https://ntfy.sh/my-topic, token: "${NTFY_TOKEN}" }
          deadman:   { type: ping, url: https://hc-ping.com/UUID }
        """;

    /// <summary>A valid file whose one plan's backup section is <paramref name="backup"/> (its first line is line 10 of the file).</summary>
    public static string WithBackup(string backup) => $$"""
        repositories:
          main: { url: /srv/repo, password_file: /etc/lifeboat/pass }
        sources:
          app: { db: postgres://backup@localhost/app }
        plans:
          nightly:
            source: app
            repository: main
            backup:
        {{Indent(backup, 6)}}
        """;

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(line => new string(' ', spaces) + line));
}
