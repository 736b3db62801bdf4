//! Index rules: missing, expected and duplicate indexes, and primary keys.

pub(crate) mod duplicate_index;
pub(crate) mod expected_index;
pub(crate) mod fk_missing_index;
pub(crate) mod missing_primary_key;
