//! Help text shared by the rules that ask for an index (`fk-missing-index`, `expected-index`):
//! the `CREATE INDEX` to add, and how the tool that runs the migration can build it.
//!
//! drizzle-kit migrate applies all pending migrations in one transaction and has no
//! non-transactional mode, so `CREATE INDEX CONCURRENTLY` cannot be in a drizzle migration.
//! Alembic runs a revision in a transaction unless it opens `op.get_context().autocommit_block()`.

use super::MigrationContext;
use crate::catalog::{DEFAULT_SCHEMA, QualifiedName};
use crate::source::SourceKind;

/// `"name"` as SQL writes an identifier (always quoted, as drizzle-kit does).
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_table(table: &QualifiedName) -> String {
    if table.schema == DEFAULT_SCHEMA {
        quote(&table.name)
    } else {
        format!("{}.{}", quote(&table.schema), quote(&table.name))
    }
}

/// The name PostgreSQL would give the index: `<table>_<columns>_idx`.
pub fn index_name(table: &QualifiedName, columns: &[String]) -> String {
    format!("{}_{}_idx", table.name, columns.join("_"))
}

/// How to add a btree index on `columns` of `table`. `new_table`: the table was created in this
/// migration, so a plain `CREATE INDEX` blocks nobody.
pub fn add_index(
    ctx: &MigrationContext,
    table: &QualifiedName,
    columns: &[String],
    new_table: bool,
) -> String {
    let name = index_name(table, columns);
    let quoted_columns: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let target = format!("{} ({})", quote_table(table), quoted_columns.join(", "));
    let python_columns: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let alembic = format!(
        "op.create_index(\"{name}\", \"{}\", [{}]",
        table.name,
        python_columns.join(", ")
    );
    if new_table {
        let tool = match ctx.migration.kind {
            SourceKind::Drizzle => format!(
                " In the drizzle schema: `index(\"{name}\").on(...)` in the table's extra config, \
                 then `drizzle-kit generate`."
            ),
            SourceKind::Alembic => format!(" In the revision: `{alembic})`."),
            SourceKind::Plain => String::new(),
        };
        return format!(
            "Add `CREATE INDEX {} ON {target};` to this migration: the table is new, so building \
             it now blocks nobody.{tool}",
            quote(&name)
        );
    }
    let concurrently = format!(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {target}",
        quote(&name)
    );
    let how = match ctx.migration.kind {
        SourceKind::Drizzle => format!(
            "drizzle-kit migrate runs all pending migrations in one transaction and has no \
             non-transactional mode, so once this migration is applied run `{concurrently};` \
             outside it (by hand or from the deploy script); then add the index to the drizzle \
             schema and make the generated statement `CREATE INDEX IF NOT EXISTS`, so the next \
             migration records it without building it again."
        ),
        SourceKind::Alembic => format!(
            "In the revision: `with op.get_context().autocommit_block(): {alembic}, \
             postgresql_concurrently=True)`; Alembic commits the revision's transaction before \
             the block and begins a new one after it."
        ),
        SourceKind::Plain => format!("Run `{concurrently};` outside a transaction block."),
    };
    format!(
        "The table already exists, and a plain `CREATE INDEX` blocks its writes while it builds \
         (fine for a small table): build it with `CREATE INDEX CONCURRENTLY` instead. {how}"
    )
}
