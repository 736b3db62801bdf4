//! How messages name a statement and the relation it locks.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::TableLock;

/// The locked relation as the message names it.
pub fn locked(lock: &TableLock) -> String {
    let name = lock.via.as_ref().unwrap_or(&lock.table);
    if lock.table_unknown() {
        format!("the table of index `{name}`")
    } else {
        format!("existing table `{}`", lock.table)
    }
}

/// How the message names the statement.
pub fn verb(node: &NodeEnum) -> &'static str {
    match node {
        NodeEnum::AlterTableStmt(_) => "`ALTER TABLE`",
        NodeEnum::RenameStmt(_) => "`ALTER TABLE ... RENAME`",
        NodeEnum::AlterObjectSchemaStmt(_) => "`ALTER TABLE ... SET SCHEMA`",
        NodeEnum::DropStmt(stmt) => match ObjectType::try_from(stmt.remove_type) {
            Ok(ObjectType::ObjectTable) => "`DROP TABLE`",
            Ok(ObjectType::ObjectView) => "`DROP VIEW`",
            Ok(ObjectType::ObjectMatview) => "`DROP MATERIALIZED VIEW`",
            Ok(ObjectType::ObjectForeignTable) => "`DROP FOREIGN TABLE`",
            Ok(ObjectType::ObjectIndex) => "`DROP INDEX`",
            Ok(ObjectType::ObjectTrigger) => "`DROP TRIGGER`",
            Ok(ObjectType::ObjectPolicy) => "`DROP POLICY`",
            Ok(ObjectType::ObjectRule) => "`DROP RULE`",
            _ => "`DROP`",
        },
        NodeEnum::TruncateStmt(_) => "`TRUNCATE`",
        NodeEnum::LockStmt(_) => "`LOCK TABLE`",
        NodeEnum::ClusterStmt(_) => "`CLUSTER`",
        NodeEnum::VacuumStmt(_) => "`VACUUM FULL`",
        NodeEnum::RefreshMatViewStmt(_) => "`REFRESH MATERIALIZED VIEW`",
        NodeEnum::CreatePolicyStmt(_) => "`CREATE POLICY`",
        NodeEnum::AlterPolicyStmt(_) => "`ALTER POLICY`",
        NodeEnum::RuleStmt(_) => "`CREATE RULE`",
        NodeEnum::ViewStmt(_) => "`CREATE OR REPLACE VIEW`",
        NodeEnum::IndexStmt(_) => "`CREATE INDEX`",
        NodeEnum::ReindexStmt(_) => "`REINDEX`",
        NodeEnum::CreateTrigStmt(_) => "`CREATE TRIGGER`",
        NodeEnum::CreateStmt(_) => "`CREATE TABLE`",
        _ => "This statement",
    }
}
