namespace Lifeboat.Repository;

/// <summary>Base of the repository's typed failures; the CLI maps each to one exit code.</summary>
public abstract class RepositoryException : Exception
{
    protected RepositoryException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>There is no repository at the location (no <c>config</c> object).</summary>
public sealed class RepositoryNotFoundException(string message) : RepositoryException(message);

/// <summary><c>init</c> found a repository (or other objects) at the location already.</summary>
public sealed class RepositoryExistsException(string message) : RepositoryException(message);

/// <summary>No key file opens with the password given.</summary>
public sealed class WrongPasswordException(string message) : RepositoryException(message);

/// <summary>Another process holds a conflicting lock.</summary>
public sealed class RepositoryLockedException(string message) : RepositoryException(message);

/// <summary>Stored data failed authentication, a hash check, or is missing.</summary>
public sealed class IntegrityException(string message, Exception? innerException = null) : RepositoryException(message, innerException)
{
    /// <summary>The damaged object (e.g. <c>snapshots/&lt;id&gt;</c>), when one object is to blame.</summary>
    public string? ObjectName { get; init; }
}

/// <summary>A snapshot, stream or key named by the user does not exist.</summary>
public sealed class NotFoundException(string message) : RepositoryException(message);

/// <summary>An argument or a setting does not make sense (e.g. removing the last key).</summary>
public sealed class InvalidRequestException(string message) : RepositoryException(message);
