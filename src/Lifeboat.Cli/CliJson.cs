using System.Text.Json.Serialization;
using Lifeboat.Operations;
using Lifeboat.Operations.Demo;
using Lifeboat.Operations.Report;
using Lifeboat.Repository;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Stats;

namespace Lifeboat.Cli;

/// <summary>
/// Build-time JSON metadata of every <c>--json</c> output (see <see cref="CliContext.JsonOutput"/>):
/// there is no reflection fallback, so a type printed with <see cref="CliContext.WriteJson{T}"/> must
/// be listed here (the tests print every command's output; a missing one fails them).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(ErrorOutput))]
[JsonSerializable(typeof(BackupOutput))]
[JsonSerializable(typeof(DatabaseRestoreResult))]
[JsonSerializable(typeof(DemoResult))]
[JsonSerializable(typeof(CheckOutput))]
[JsonSerializable(typeof(IReadOnlyList<SnapshotListItem>))]
[JsonSerializable(typeof(IReadOnlyList<Lifeboat.Cli.Commands.ChangeLogListItem>))]
[JsonSerializable(typeof(StreamListOutput))]
[JsonSerializable(typeof(DrillOutput))]
[JsonSerializable(typeof(PruneReport))]
[JsonSerializable(typeof(RepositoryStatsReport))]
[JsonSerializable(typeof(InitOutput))]
[JsonSerializable(typeof(List<KeyInfo>))]
[JsonSerializable(typeof(UnlockOutput))]
[JsonSerializable(typeof(KeyOutput))]
[JsonSerializable(typeof(ForgetOutput))]
[JsonSerializable(typeof(NamedForgetOutput))]
[JsonSerializable(typeof(HoldOutput))]
[JsonSerializable(typeof(UnholdOutput))]
[JsonSerializable(typeof(IReadOnlyList<HoldListItem>))]
[JsonSerializable(typeof(CopyOutput))]
[JsonSerializable(typeof(IReadOnlyList<EvidenceListItem>))]
[JsonSerializable(typeof(FilesOutput))]
[JsonSerializable(typeof(AuditVerifyOutput))]
[JsonSerializable(typeof(IReadOnlyList<AuditListItem>))]
[JsonSerializable(typeof(StatusOutput))]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(ConfigCheckOutput))]
[JsonSerializable(typeof(ConfigErrorOutput))]
[JsonSerializable(typeof(NotifyTestOutput))]
[JsonSerializable(typeof(Lifeboat.Agent.Http.PlansView))]
[JsonSerializable(typeof(Lifeboat.Agent.Http.RunAnswer))]
[JsonSerializable(typeof(Lifeboat.Operations.Subjects.SubjectFound))]
[JsonSerializable(typeof(SubjectExportOutput))]
[JsonSerializable(typeof(Lifeboat.Operations.Subjects.SubjectRestoreResult))]
[JsonSerializable(typeof(DirectoryBackupOutput))]
[JsonSerializable(typeof(DirectoryListOutput))]
[JsonSerializable(typeof(Lifeboat.Operations.Directories.DirectoryRestoreResult))]
[JsonSerializable(typeof(Commands.BucketBackupOutput))]
[JsonSerializable(typeof(Commands.BucketListOutput))]
[JsonSerializable(typeof(Lifeboat.Operations.Buckets.BucketRestoreResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
