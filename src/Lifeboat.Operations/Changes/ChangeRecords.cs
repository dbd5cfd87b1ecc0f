using Lifeboat.Postgres;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Operations.Changes;

/// <summary>
/// The one mapping between what capture decodes (Lifeboat.Postgres) and what the change log stores
/// (Lifeboat.Repository): field for field, both ways, so a replayed change is the captured one.
/// </summary>
internal static class ChangeRecords
{
    public static LoggedTransaction ToLogged(CapturedTransaction transaction) => new(
        transaction.Xid, transaction.CommitLsn, transaction.EndLsn, transaction.CommitTime,
        transaction.Relations.Values.OrderBy(r => r.Id).Select(ToLogged).ToList(), transaction.ChangeCount);

    public static LoggedRelation ToLogged(RelationInfo relation) => new(
        relation.Id, relation.Schema, relation.Name, relation.ReplicaIdentity,
        relation.Columns.Select(c => new LoggedColumn(c.Name, c.TypeOid, c.TypeModifier, c.IsKey)).ToList());

    public static LoggedChange ToLogged(CapturedChange change) => new(
        (LoggedChangeKind)(byte)change.Kind, change.RelationId, ToLogged(change.OldValues), change.OldIsKey, ToLogged(change.NewValues),
        change.TruncatedRelations, change.TruncateFlags);

    public static RelationInfo ToCaptured(LoggedRelation relation) => new(
        relation.Id, relation.Schema, relation.Name, relation.ReplicaIdentity,
        relation.Columns.Select(c => new RelationColumn(c.Name, c.TypeOid, c.TypeModifier, c.IsKey)).ToList());

    public static CapturedChange ToCaptured(LoggedChange change) => new(
        (ChangeKind)(byte)change.Kind, change.RelationId, ToCaptured(change.OldValues), change.OldIsKey, ToCaptured(change.NewValues),
        change.TruncatedRelations, change.TruncateFlags);

    private static LoggedValue[]? ToLogged(IReadOnlyList<ColumnValue>? values) =>
        values?.Select(v => new LoggedValue((LoggedValueKind)(byte)v.Kind, v.Text)).ToArray();

    private static ColumnValue[]? ToCaptured(IReadOnlyList<LoggedValue>? values) =>
        values?.Select(v => new ColumnValue((ValueKind)(byte)v.Kind, v.Text)).ToArray();
}
