//! What several rules share: how each migration tool runs the safe alternatives (`advice`), the
//! actions of an `ALTER TABLE` on an existing table (`alter_table`), the column types a
//! statement writes (`column_types`), the names a migration's renames replaced (`renames`). No rule lives here.

pub(crate) mod advice;
pub(crate) mod alter_table;
pub(crate) mod column_types;
pub(crate) mod renames;
