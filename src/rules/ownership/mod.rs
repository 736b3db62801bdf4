//! Ownership rules: who may create, change and reference which tables ([owners] in the configuration).

pub(crate) mod cross_owner_foreign_key;
pub(crate) mod directus_field_broken;
pub(crate) mod directus_requires_primary_key;
pub(crate) mod ownership_violation;
pub(crate) mod tracking_table_touched;
pub(crate) mod unowned_table;
