using System.Net.Sockets;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Lifeboat.Storage.Sftp;

/// <summary>Classifies SSH.NET failures as <see cref="StorageException"/>s; messages never hold a key or passphrase.</summary>
internal static class SftpErrorMapper
{
    /// <summary>
    /// Maps <paramref name="exception"/>, or returns null when it must propagate unchanged
    /// (cancellation requested by the caller, an argument error, or already classified).
    /// </summary>
    public static StorageException? Map(Exception exception, string location, string? name, string action, CancellationToken cancellationToken)
    {
        if (exception is StorageException or ArgumentException || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return null;
        }

        var what = name is null ? location : $"'{name}' in {location}";
        return exception switch
        {
            SftpPathNotFoundException when name is not null && action is "read" =>
                new StorageException(StorageErrorKind.NotFound, $"object '{name}' does not exist in {location}", exception),
            SftpPathNotFoundException =>
                new StorageException(StorageErrorKind.Permanent, $"SFTP {action} of {what} failed: a directory on the path does not exist", exception),
            SftpPermissionDeniedException =>
                new StorageException(StorageErrorKind.Permanent, $"SFTP {action} of {what}: permission denied on the server", exception),
            SftpException sftp when sftp.StatusCode is StatusCode.NoConnection or StatusCode.ConnectionLost =>
                new StorageException(StorageErrorKind.Transient, $"SFTP connection lost during {action} of {what}", exception),
            SftpException sftp when sftp.StatusCode is StatusCode.OperationUnsupported =>
                new StorageException(StorageErrorKind.Permanent, $"the SFTP server does not support the {action} of {what} ({sftp.Message})", exception),
            SftpException sftp =>
                new StorageException(StorageErrorKind.Permanent, $"SFTP {action} of {what} failed: {sftp.StatusCode}: {sftp.Message} (a full disk or quota also shows as this)", exception),
            SshAuthenticationException =>
                new StorageException(StorageErrorKind.Permanent, $"SSH authentication for {location} failed: {exception.Message}", exception),
            SshOperationTimeoutException or TimeoutException or OperationCanceledException =>
                new StorageException(StorageErrorKind.Transient, $"SFTP {action} of {what} timed out", exception),
            SocketException socket when socket.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData =>
                new StorageException(StorageErrorKind.Permanent, $"the SFTP host of {location} cannot be resolved ({socket.SocketErrorCode})", exception),
            SocketException socket =>
                new StorageException(StorageErrorKind.Transient, $"SFTP connection to {location} failed ({socket.SocketErrorCode}) during {action} of {what}", exception),
            SshConnectionException or ProxyException or IOException or ObjectDisposedException =>
                new StorageException(StorageErrorKind.Transient, $"SFTP connection to {location} failed during {action} of {what}: {exception.Message}", exception),
            SshException =>
                new StorageException(StorageErrorKind.Permanent, $"SFTP {action} of {what} failed: {exception.Message}", exception),
            _ => null,
        };
    }
}
