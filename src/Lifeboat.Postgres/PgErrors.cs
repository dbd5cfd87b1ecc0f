using System.Net.Sockets;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>Turns Npgsql / PostgreSQL failures into the typed exceptions of this library.</summary>
public static class PgErrors
{
    /// <summary>Opens a connection, mapping connection-time failures to typed exceptions.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(PgConnectionInfo info, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(info.ToConnectionStringBuilder().ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or IOException)
        {
            await connection.DisposeAsync();
            throw MapConnect(ex, info);
        }
    }

    /// <summary>Maps a failure while connecting.</summary>
    public static Exception MapConnect(Exception ex, PgConnectionInfo info)
    {
        var where = info.Redact();
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => new AuthenticationFailedException(
                    $"Authentication failed for user \"{info.User}\" at {where}: {pg.MessageText}. Check the password " +
                    "(connection string, PGPASSWORD or ~/.pgpass) and pg_hba.conf.", ex),
                "3D000" => new DatabaseNotFoundException(
                    $"Database \"{info.Database}\" does not exist at {where}. Check the name, or create it first (createdb / --create).", ex),
                "42501" => new InsufficientPrivilegeException(
                    $"User \"{info.User}\" may not connect to {where}: {pg.MessageText}. Ask an administrator for " +
                    $"GRANT CONNECT ON DATABASE \"{info.Database}\" TO \"{info.User}\".", ex),
                "53300" => new DatabaseUnreachableException($"{where} has no free connection slots: {pg.MessageText}. Use fewer --jobs or retry later.", ex),
                "57P03" => new DatabaseUnreachableException($"{where} is not accepting connections yet: {pg.MessageText}. Retry when it is up.", ex),
                _ => new DatabaseUnreachableException($"Cannot connect to {where}: {pg.SqlState} {pg.MessageText}", ex),
            };
        }
        var socket = FindInner<SocketException>(ex);
        var reason = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused (is the server running and listening on that host and port?)",
            SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "host name not found",
            SocketError.TimedOut => "connection timed out",
            SocketError.AddressNotAvailable or SocketError.NetworkUnreachable or SocketError.HostUnreachable => "host unreachable",
            _ when FindInner<TimeoutException>(ex) is not null => "connection timed out",
            _ => Redacted(ex.Message, info),
        };
        if (ex.Message.Contains("password", StringComparison.OrdinalIgnoreCase) && ex.Message.Contains("no password", StringComparison.OrdinalIgnoreCase))
            return new AuthenticationFailedException($"The server at {where} asks for a password but none was given: set it in the URL, PGPASSWORD or ~/.pgpass.", ex);
        return new DatabaseUnreachableException($"Cannot connect to {where}: {reason}.", ex);
    }

    /// <summary>
    /// Maps a failure in the middle of work on an open connection (<paramref name="activity"/>: "the backup",
    /// "the restore") to a typed exception that names the server: a lost connection (the server shut down or
    /// restarted, SQLSTATE class 57, or the network failed) is <see cref="DatabaseUnreachableException"/>, another
    /// server error <see cref="CaptureFailedException"/>, a client tool's failure keeps its type with the server
    /// named. Returns null for what needs no mapping (cancellation, failures that already say where).
    /// </summary>
    public static Exception? MapDuring(Exception ex, PgConnectionInfo info, string activity)
    {
        var where = info.Redact();
        switch (ex)
        {
            case OperationCanceledException or PostgresLifeboatException and not PgToolFailedException:
                return null;
            case PgToolFailedException tool when !tool.Message.Contains(where, StringComparison.Ordinal):
                return new PgToolFailedException($"{Redacted(tool.Message, info)} (during {activity} of {where})", tool.ExitCode, tool.StandardError);
            case PostgresException { SqlState: var state } pg when state.StartsWith("57", StringComparison.Ordinal) && state != "57014":
                return new DatabaseUnreachableException(
                    $"The server at {where} ended the connection during {activity}: {pg.SqlState} {pg.MessageText} (it was shut down or " +
                    "restarted); run it again when the server is up.", ex);
            case PostgresException pg:
                return new CaptureFailedException($"{Capitalized(activity)} of {where} failed: {pg.SqlState} {pg.MessageText}", ex);
            case NpgsqlException or IOException or SocketException or TimeoutException
                when FindInner<IOException>(ex) is not null || FindInner<SocketException>(ex) is not null || FindInner<TimeoutException>(ex) is not null:
                return new DatabaseUnreachableException(
                    $"The connection to {where} was lost during {activity}: {Redacted(ex.Message, info)}; " +
                    "run it again when the server is reachable.", ex);
            case NpgsqlException:
                return new CaptureFailedException($"{Capitalized(activity)} of {where} failed: {Redacted(ex.Message, info)}", ex);
            default:
                return null;
        }
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>Maps a failure of a statement about <paramref name="objectName"/> (privileges in particular).</summary>
    public static Exception MapStatement(Exception ex, string what, string objectName, string grantHint)
    {
        if (ex is PostgresException pg)
        {
            if (pg.SqlState == "42501")
                return new InsufficientPrivilegeException(
                    $"{what} failed: permission denied on {objectName} ({pg.MessageText}). {grantHint}", ex);
            return new CaptureFailedException($"{what} failed on {objectName}: {pg.SqlState} {pg.MessageText}", ex);
        }
        return ex;
    }

    private static T? FindInner<T>(Exception? ex)
        where T : Exception
    {
        while (ex is not null)
        {
            if (ex is T t)
                return t;
            ex = ex.InnerException;
        }
        return null;
    }

    private static string Redacted(string message, PgConnectionInfo info)
    {
        var builder = info.ToConnectionStringBuilder();
        return string.IsNullOrEmpty(builder.Password) ? message : message.Replace(builder.Password, "***", StringComparison.Ordinal);
    }
}
