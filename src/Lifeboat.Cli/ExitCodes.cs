using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Storage;

namespace Lifeboat.Cli;

/// <summary>The one exit-code table (documented in README.md and docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Integrity = 3;
    public const int Storage = 4;
    public const int RepositoryMissing = 10;
    public const int Locked = 11;
    public const int WrongPassword = 12;
    public const int NotFound = 13;
    public const int OutOfSpace = 14;
    public const int PolicyRefused = 15;
    public const int SnapshotHeld = 16;
    public const int EmptyInput = 17;
    public const int SubjectNotFound = 18;
    public const int Partial = 19;
    public const int DatabaseUnreachable = 20;
    public const int DatabaseAuthentication = 21;
    public const int DatabaseMissing = 22;
    public const int DatabasePrivilege = 23;
    public const int PostgresTools = 24;
    public const int TargetNotEmpty = 25;
    public const int DatabaseFailed = 26;
    public const int DrillFailed = 30;
    public const int PlanFileInvalid = 40;
    public const int NotificationFailed = 41;
    public const int ListenFailed = 42;
    public const int JournalUnusable = 43;
    public const int AgentUnreachable = 44;
    public const int WalLevelNotLogical = 50;
    public const int ReplicationNotPermitted = 51;
    public const int ReplicationThroughPooler = 52;
    public const int NoReplicaIdentity = 53;
    public const int SlotLost = 54;
    public const int ChangeLogShort = 55;
    public const int SubjectConflict = 56;
    public const int SubjectTargetMismatch = 57;
    public const int BucketUnlistable = 60;
    public const int BucketObjectsDiffer = 61;
    public const int Interrupted = 130;

    /// <summary>The exit code for a failure, and whether the message alone says enough.</summary>
    public static int For(Exception exception) => exception switch
    {
        RestoreAbandonedException { InnerException: { } cause } => For(cause),
        Agent.PlanFile.PlanFileException => PlanFileInvalid,
        Agent.Http.ListenException => ListenFailed,
        Agent.Journal.JournalException => JournalUnusable,
        Agent.Host.AgentUnreachableException => AgentUnreachable,
        Agent.Notifications.ChannelConfigurationException => NotificationFailed,
        Agent.Jobs.PlanSecretException => Usage,
        OperationCanceledException => Interrupted,
        RepositoryNotFoundException => RepositoryMissing,
        RepositoryExistsException => Usage,
        WrongPasswordException => WrongPassword,
        RepositoryLockedException => Locked,
        Repository.Retention.RetentionGuardException => PolicyRefused,
        Repository.Retention.SnapshotHeldException => SnapshotHeld,
        Operations.EmptyInputException => EmptyInput,
        IntegrityException => Integrity,
        NotFoundException => NotFound,
        InvalidRequestException => Usage,
        UsageException => Usage,
        BackupIntegrityException => Integrity,
        TableNotInBackupException => NotFound,
        InvalidRestoreRequestException => Usage,
        DatabaseUnreachableException => DatabaseUnreachable,
        AuthenticationFailedException => DatabaseAuthentication,
        DatabaseNotFoundException => DatabaseMissing,
        InsufficientPrivilegeException => DatabasePrivilege,
        PgToolNotFoundException => PostgresTools,
        TargetNotEmptyException => TargetNotEmpty,
        Postgres.Subjects.SubjectNotFoundException => SubjectNotFound,
        Postgres.Subjects.InvalidSubjectQueryException => Usage,
        Postgres.Subjects.SubjectConflictException => SubjectConflict,
        Postgres.Subjects.SubjectTargetMismatchException => SubjectTargetMismatch,
        Operations.Directories.DirectoryNotEmptyException => TargetNotEmpty,
        WalLevelNotLogicalException => WalLevelNotLogical,
        ReplicationNotPermittedException => ReplicationNotPermitted,
        ReplicationThroughPoolerException => ReplicationThroughPooler,
        TablesWithoutReplicaIdentityException => NoReplicaIdentity,
        ReplicationSlotLostException => SlotLost,
        Operations.Changes.ChangeLogShortException => ChangeLogShort,
        Operations.Changes.ChangeLogGapException => ChangeLogShort,
        Lifeboat.Storage.Buckets.BucketUnlistableException => BucketUnlistable,
        Operations.Buckets.BucketObjectsDifferException => BucketObjectsDiffer,
        PostgresLifeboatException => DatabaseFailed,
        StorageException { Kind: StorageErrorKind.OutOfSpace } => OutOfSpace,
        StorageException => Storage,
        IOException io when StorageException.IsOutOfSpace(io) => OutOfSpace,
        _ => Failed,
    };
}

/// <summary>A command line or configuration that does not make sense.</summary>
public sealed class UsageException(string message) : Exception(message);
