//! Destructive rules: statements that lose data or break the code still running during a deploy.

pub(crate) mod drop_column;
pub(crate) mod drop_constraint;
pub(crate) mod drop_schema;
pub(crate) mod drop_table;
pub(crate) mod narrowing_type_change;
pub(crate) mod rename_column;
pub(crate) mod rename_table;
pub(crate) mod truncate_table;
pub(crate) mod unbounded_delete_or_update;
