using System.Globalization;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>What the checks found: the server's version and the tables to publish.</summary>
internal sealed record CaptureFacts(int ServerVersionNum, IReadOnlyList<string> Tables);

/// <summary>
/// The checks before anything is created on the server, each failure a typed error saying what to
/// change: logical WAL, the REPLICATION attribute, a direct connection rather than a pooler, and a
/// replica identity on every table to publish.
/// </summary>
internal static class ChangeCapturePrerequisites
{
    /// <summary>Refuses a host known to be a pooler that passes no replication connection (Supabase's Supavisor).</summary>
    public static void RefusePooler(PgConnectionInfo source)
    {
        if (source.Host.EndsWith(".pooler.supabase.com", StringComparison.OrdinalIgnoreCase))
        {
            throw new ReplicationThroughPoolerException(
                $"{source.Redact()} is Supabase's connection pooler (Supavisor), which does not pass replication connections. " +
                "Use the project's direct connection instead (Project Settings > Database > Direct connection: db.<project>.supabase.co, port 5432).");
        }
    }

    /// <summary>Runs the checks on an ordinary connection; returns the server version and the tables to publish.</summary>
    public static async Task<CaptureFacts> CheckAsync(NpgsqlConnection connection, PgConnectionInfo source, CaptureOptions options, CancellationToken cancellationToken)
    {
        var walLevel = await CatalogReader.ScalarAsync<string>(connection, "SELECT current_setting('wal_level')", cancellationToken) ?? "";
        if (walLevel != "logical")
        {
            throw new WalLevelNotLogicalException(walLevel,
                $"The server at {source.Redact()} has wal_level = {walLevel}; change capture needs wal_level = logical. " +
                "Set it (ALTER SYSTEM SET wal_level = logical, or in postgresql.conf) and restart the server: a reload is not enough. " +
                "On a managed host set the parameter in its settings (RDS: rds.logical_replication = 1 in the parameter group) and reboot.");
        }

        var mayReplicate = await CatalogReader.ScalarAsync<bool>(connection,
            "SELECT rolreplication OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", cancellationToken);
        if (!mayReplicate)
        {
            throw new ReplicationNotPermittedException(
                $"User \"{source.User}\" may not open a replication connection: it has no REPLICATION attribute. " +
                $"Grant it: ALTER ROLE {Sql.Ident(source.User)} REPLICATION; (on RDS: GRANT rds_replication TO {Sql.Ident(source.User)};).");
        }

        var version = int.Parse(
            await CatalogReader.ScalarAsync<string>(connection, "SELECT current_setting('server_version_num')", cancellationToken) ?? "0", CultureInfo.InvariantCulture);
        var selection = new TableSelection(options);
        var tables = (await CatalogReader.ListTablesAsync(connection, cancellationToken))
            .Where(t => t.Kind == 'r' && selection.IncludesTable(t.Schema, t.Name, t.Visible) && !selection.ExcludesData(t.Schema, t.Name, t.Visible))
            .ToList();
        await RefuseTablesWithoutIdentityAsync(connection, tables.Select(t => t.Oid).ToArray(), cancellationToken);
        return new CaptureFacts(version, tables.Select(t => Sql.Qualify(t.Schema, t.Name)).ToList());
    }

    private static async Task RefuseTablesWithoutIdentityAsync(NpgsqlConnection connection, uint[] oids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = ANY($1)
              AND (c.relreplident = 'n'
                   OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                   OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))
            ORDER BY 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = oids, DataTypeName = "oid[]" });
        var missing = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                missing.Add(reader.GetString(0));
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        var shown = string.Join(", ", missing.Take(10)) + (missing.Count > 10 ? $" and {missing.Count - 10} more" : "");
        throw new TablesWithoutReplicaIdentityException(missing,
            $"{missing.Count} table(s) have no primary key or replica identity: {shown}. Once published, the server refuses UPDATE and DELETE on them, " +
            $"so nothing was published. Give each a primary key, or ALTER TABLE {missing[0]} REPLICA IDENTITY FULL; (the whole old row is then logged), " +
            "or leave them out of the capture (--exclude-table).");
    }

    /// <summary>The slot's <c>confirmed_flush_lsn</c>; <see cref="ReplicationSlotLostException"/> when it is missing or lost.</summary>
    public static async Task<ulong> ConfirmedPositionAsync(NpgsqlConnection connection, PgConnectionInfo source, string slot, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT confirmed_flush_lsn::text, wal_status FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND database = current_database()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slot });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new ReplicationSlotLostException(
                $"The replication slot {slot} does not exist in {source.Redact()}: it was dropped, or lost in a failover. " +
                "The change log cannot continue from it: take a new base backup (the log has a gap from where it ends).");
        }

        if (reader.IsDBNull(0) || (!reader.IsDBNull(1) && reader.GetString(1) == "lost"))
        {
            throw new ReplicationSlotLostException(
                $"The replication slot {slot} in {source.Redact()} was invalidated (the server removed WAL it still needed, see max_slot_wal_keep_size). " +
                "Drop it and take a new base backup (the log has a gap from where it ends).");
        }

        return Lsn.Parse(reader.GetString(0));
    }

    /// <summary>
    /// Waits up to 30 s for a session still streaming from <paramref name="slot"/> to end (a follower that just stopped
    /// leaves its WAL sender for a moment); then a <see cref="CaptureFailedException"/> naming the process that holds it.
    /// </summary>
    public static async Task WaitUntilInactiveAsync(NpgsqlConnection connection, string slot, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var command = new NpgsqlCommand("SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND active", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = slot });
            if (await command.ExecuteScalarAsync(cancellationToken) is not int pid)
            {
                return;
            }

            if (attempt >= 300)
            {
                throw new CaptureFailedException(
                    $"The replication slot {slot} is in use by server process {pid}: another capture follows it. Stop that one first (or pg_terminate_backend({pid}) if it is stuck).");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The tables of a publication, quoted and qualified.</summary>
    public static async Task<List<string>> PublishedTablesAsync(NpgsqlConnection connection, string publication, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_catalog.pg_publication_tables WHERE pubname = $1 ORDER BY 1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = publication });
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    /// <summary>Maps a failure to open the replication connection.</summary>
    public static Exception MapReplicationConnect(Exception e, PgConnectionInfo source)
    {
        if (e is PostgresException pg)
        {
            if (pg.MessageText.Contains("unsupported startup parameter", StringComparison.OrdinalIgnoreCase)
                || (pg.SqlState == PostgresErrorCodes.ProtocolViolation && pg.MessageText.Contains("replication", StringComparison.OrdinalIgnoreCase)))
            {
                return new ReplicationThroughPoolerException(
                    $"{source.Redact()} refused a replication connection ({pg.MessageText}): it is a connection pooler (PgBouncer, Supavisor) " +
                    "that does not pass them. Connect to the server directly (Supabase: the direct connection, port 5432, not the pooler).", e);
            }

            if (pg.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                return new ReplicationNotPermittedException(
                    $"User \"{source.User}\" may not open a replication connection ({pg.MessageText}). Grant it: ALTER ROLE {Sql.Ident(source.User)} REPLICATION;", e);
            }

            if (pg.SqlState == PostgresErrorCodes.InvalidAuthorizationSpecification && pg.MessageText.Contains("replication", StringComparison.OrdinalIgnoreCase))
            {
                return new ReplicationNotPermittedException(
                    $"{source.Redact()} accepts no replication connection from here ({pg.MessageText}). Add a line to pg_hba.conf, e.g. " +
                    $"host replication {source.User} <client address> scram-sha-256, and reload the server.", e);
            }
        }

        return PgErrors.MapConnect(e, source);
    }

    /// <summary>Maps a failure of CREATE_REPLICATION_SLOT.</summary>
    public static Exception MapCreateSlot(PostgresException e, string slotName) => e.SqlState switch
    {
        PostgresErrorCodes.DuplicateObject => new CaptureFailedException(
            $"A replication slot named {slotName} exists already: another capture uses it, or an earlier one left it. " +
            $"Drop it if nothing follows it (SELECT pg_drop_replication_slot('{slotName}');), or choose another name.", e),
        PostgresErrorCodes.ConfigurationLimitExceeded => new CaptureFailedException(
            $"The server has no free replication slot ({e.MessageText}): drop unused ones (see pg_replication_slots) or raise max_replication_slots (needs a restart).", e),
        PostgresErrorCodes.ObjectNotInPrerequisiteState => new CaptureFailedException($"Cannot create the replication slot: {e.MessageText}", e),
        _ => new CaptureFailedException($"Cannot create the replication slot {slotName}: {e.SqlState} {e.MessageText}", e),
    };
}

/// <summary>The publication of the captured tables, and whether this session created it (to undo on failure).</summary>
internal sealed class Publication
{
    private readonly string _name;
    private readonly bool _created;

    private Publication(string name, bool created)
    {
        _name = name;
        _created = created;
    }

    /// <summary>Creates the publication for <paramref name="tables"/>, or sets an existing one of that name to them.</summary>
    public static async Task<Publication> CreateAsync(NpgsqlConnection connection, string name, IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_publication WHERE pubname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = name });
        var found = (long)(await exists.ExecuteScalarAsync(cancellationToken))! > 0;
        var list = string.Join(", ", tables);
        var sql = (found, tables.Count) switch
        {
            (false, 0) => $"CREATE PUBLICATION {Sql.Ident(name)}",
            (false, _) => $"CREATE PUBLICATION {Sql.Ident(name)} FOR TABLE {list}",
            (true, 0) => null,
            (true, _) => $"ALTER PUBLICATION {Sql.Ident(name)} SET TABLE {list}",
        };
        try
        {
            if (sql is not null)
            {
                await CatalogReader.ExecuteAsync(connection, sql, cancellationToken);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InsufficientPrivilegeException(
                $"Cannot publish the tables: {e.MessageText}. A publication needs the tables' owner (or a superuser): capture as their owner, " +
                $"or have one run CREATE PUBLICATION {Sql.Ident(name)} FOR TABLE ... first.", e);
        }

        return new Publication(name, !found);
    }

    /// <summary>Drops the publication again if this session created it.</summary>
    public async Task UndoAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (_created)
        {
            await CatalogReader.ExecuteAsync(connection, $"DROP PUBLICATION IF EXISTS {Sql.Ident(_name)}", cancellationToken);
        }
    }
}
