//! What several rules share: how each migration tool runs the safe alternatives and where it
//! sets a timeout (`advice`), the actions of an `ALTER TABLE` on an existing table
//! (`alter_table`), the column types a statement writes (`column_types`), how messages name a
//! statement and what it locks (`describe`), the names a migration's renames replaced
//! (`renames`). No rule lives here.

pub(crate) mod advice;
pub(crate) mod alter_table;
pub(crate) mod column_types;
pub(crate) mod describe;
pub(crate) mod renames;
