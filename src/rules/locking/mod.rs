//! Locking rules: statements that lock, scan or rewrite existing tables, and statements a
//! transaction refuses.

pub(crate) mod add_column_required;
pub(crate) mod add_column_volatile_default;
pub(crate) mod check_not_valid;
pub(crate) mod column_type_rewrite;
pub(crate) mod concurrent_in_transaction;
pub(crate) mod detach_partition_not_concurrent;
pub(crate) mod drop_index_not_concurrent;
pub(crate) mod enum_value_in_transaction;
pub(crate) mod exclusion_constraint;
pub(crate) mod foreign_key_not_valid;
pub(crate) mod index_not_concurrent;
pub(crate) mod invalid_on_partitioned_table;
pub(crate) mod lock_timeout_missing;
pub(crate) mod refresh_matview_not_concurrent;
pub(crate) mod reindex_not_concurrent;
pub(crate) mod set_not_null;
pub(crate) mod statement_timeout_missing;
pub(crate) mod table_rewrite_maintenance;
pub(crate) mod unique_constraint_without_index;
