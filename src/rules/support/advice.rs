//! How the safe alternatives of the locking and indexing rules are run under each migration
//! tool, so every help text says it the same, true way.
//!
//! drizzle-kit migrate applies every pending migration in ONE transaction and has no
//! non-transactional mode. Alembic runs each revision in a transaction (all revisions in one
//! unless `transaction_per_migration=True`); `op.get_context().autocommit_block()` commits, runs
//! its body outside a transaction and begins a new one, which its offline SQL shows as
//! `COMMIT;` ... `BEGIN;`. Plain files run as configured (`assume_in_transaction`,
//! `[[sources]] in_transaction`) or as their own `BEGIN;`/`COMMIT;` lines say.

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableCmd, AlterTableStmt, AlterTableType, Constraint, IndexStmt};

use crate::catalog::{Catalog, DEFAULT_SCHEMA, QualifiedName};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{MigrationContext, StatementContext};
use crate::source::{Layout, SourceKind};

/// The steps a help text asks for that depend on how the migration tool runs transactions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Steps<'a> {
    /// Fill existing rows in batches that each commit.
    pub backfill: bool,
    /// Run a `VALIDATE CONSTRAINT` in a later transaction than the `NOT VALID` ADD.
    pub validate_later: bool,
    /// Run `CREATE INDEX CONCURRENTLY`, which cannot run in a transaction block.
    pub concurrently: bool,
    /// Add a constraint `NOT VALID`; the Alembic operation that adds it
    /// (`create_foreign_key`, `create_check_constraint`).
    pub not_valid: Option<&'a str>,
}

/// A closing sentence saying how to do `steps` with this tool: starts with a space, or is empty
/// when there is nothing tool-specific to say.
pub fn tool_note(kind: SourceKind, steps: Steps) -> String {
    let mut parts: Vec<String> = Vec::new();
    match kind {
        SourceKind::Drizzle => {
            if steps.not_valid.is_some() {
                parts.push(
                    "drizzle-kit never emits `NOT VALID`: add it to the generated SQL".into(),
                );
            }
            let mut outside = Vec::new();
            if steps.backfill {
                outside.push("backfill from a script outside it".to_owned());
            }
            if steps.validate_later {
                outside.push(
                    "ship the VALIDATE in a later migration (`drizzle-kit generate --custom`) \
                     deployed after this one is applied"
                        .to_owned(),
                );
            }
            if !outside.is_empty() {
                parts.push(format!(
                    "drizzle-kit migrate runs all pending migrations in one transaction: {}",
                    outside.join(", and ")
                ));
            }
            if steps.concurrently {
                parts.push(
                    "drizzle-kit migrate wraps every migration in a transaction and has no \
                     non-transactional mode: run `CREATE INDEX CONCURRENTLY` by hand or from the \
                     deploy script before this migration"
                        .into(),
                );
            }
        }
        SourceKind::Alembic => {
            let mut alembic = Vec::new();
            if let Some(op) = steps.not_valid {
                alembic.push(format!(
                    "`op.{op}(..., postgresql_not_valid=True)` adds it NOT VALID"
                ));
            }
            if steps.backfill {
                alembic.push(
                    "run the batches inside `with op.get_context().autocommit_block():` (or from \
                     a script)"
                        .to_owned(),
                );
            }
            if steps.validate_later {
                alembic.push(
                    "give the VALIDATE its own transaction with a later revision and \
                     `transaction_per_migration=True` in env.py, or inside `with \
                     op.get_context().autocommit_block():` (by default `alembic upgrade` runs all \
                     revisions in one transaction)"
                        .to_owned(),
                );
            }
            if steps.concurrently {
                alembic.push(
                    "build the index inside `with op.get_context().autocommit_block():` with \
                     `op.create_index(..., unique=True, postgresql_concurrently=True)`"
                        .to_owned(),
                );
            }
            if !alembic.is_empty() {
                parts.push(format!("In Alembic, {}", alembic.join("; ")));
            }
        }
        SourceKind::Plain => {}
    }
    parts.into_iter().map(|part| format!(" {part}.")).collect()
}

/// How to run `sql`, which cannot run inside a transaction block, with the tool that applies
/// this migration. `alembic` is the operation to put in the revision's autocommit block.
pub fn outside_transaction(ctx: &StatementContext, sql: &str, alembic: &str) -> String {
    match ctx.migration.migration.kind() {
        SourceKind::Drizzle => {
            drizzle_separate_step(sql, "before or after it, as the change needs")
        }
        SourceKind::Alembic => format!(
            "In the revision, run it in an autocommit block: `with \
             op.get_context().autocommit_block(): {alembic}`. Alembic commits the revision's \
             transaction before the block and begins a new one after it (the offline SQL shows \
             `COMMIT;` before the statement and `BEGIN;` after)."
        ),
        SourceKind::Plain => format!(
            "Run `{sql}` outside a transaction block: {}.",
            plain_outside_transaction(ctx.migration.migration.layout)
        ),
    }
}

/// Where a statement that cannot run inside a transaction block goes, with the tool whose
/// layout a plain file has.
fn plain_outside_transaction(layout: Layout) -> &'static str {
    match layout {
        Layout::GolangMigrate => {
            "in a migration file of its own that holds that one statement (golang-migrate sends a \
             file as one query string, which PostgreSQL runs as one transaction when it holds \
             several statements)"
        }
        Layout::Prisma => {
            "in a migration of its own that holds that one statement (Prisma Migrate sends \
             `migration.sql` as one query string, which PostgreSQL runs as one transaction when \
             it holds several statements)"
        }
        Layout::Hasura => {
            "outside Hasura's migrations, which it applies each in a transaction (e.g. with \
             `psql` as a step of the deploy)"
        }
        Layout::Goose => "in a migration of its own that starts with `-- +goose NO TRANSACTION`",
        Layout::Dbmate => "in a migration of its own, marked `-- migrate:up transaction:false`",
        Layout::SqlMigrate => "in a migration of its own, marked `-- +migrate Up notransaction`",
        Layout::Flyway => {
            "in a script of its own that holds only such statements (Flyway then runs it outside \
             a transaction), or with `executeInTransaction=false` in the script's `.conf` file"
        }
        Layout::Supabase => {
            "in a migration file of its own (the Supabase CLI applies each file in one \
             transaction; only its releases from 2.109 run `CREATE INDEX CONCURRENTLY` outside \
             it by themselves)"
        }
        _ => {
            "after a `COMMIT;`, or in a file that is not wrapped in one (`assume_in_transaction` \
             and `[[sources]] in_transaction` in chronos-lint.toml say how plain files run)"
        }
    }
}

/// drizzle-kit cannot run `sql`: it has to be a deploy step of its own, `when` relative to
/// `drizzle-kit migrate`.
pub fn drizzle_separate_step(sql: &str, when: &str) -> String {
    format!(
        "drizzle-kit migrate runs all pending migrations in one transaction and has no \
         non-transactional mode, so `{sql}` cannot go in a drizzle migration: run it as a separate \
         step outside drizzle-kit migrate (e.g. `psql \"$DATABASE_URL\" -c '...'` in the deploy), \
         {when}."
    )
}

/// What the tool does with this statement, for messages: "drizzle-kit migrate runs it inside
/// its transaction".
pub fn transaction_reason(ctx: &StatementContext) -> &'static str {
    if ctx.statement.in_do_block && !ctx.statement.in_transaction {
        return "it runs inside a DO block (a function)";
    }
    match ctx.migration.migration.kind() {
        SourceKind::Drizzle => "drizzle-kit migrate runs every migration inside one transaction",
        SourceKind::Alembic => "Alembic runs it inside the revision's transaction",
        SourceKind::Plain => "this file runs it inside a transaction",
    }
}

/// A Python string literal for Alembic help text.
pub fn py_str(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `op.create_index(...)` with the arguments that reproduce the statement.
pub fn alembic_create_index(stmt: &IndexStmt, table: &QualifiedName) -> String {
    let columns: Option<Vec<String>> = stmt
        .index_params
        .iter()
        .map(|param| match param.node.as_ref() {
            Some(NodeEnum::IndexElem(elem)) if !elem.name.is_empty() => Some(py_str(&elem.name)),
            _ => None,
        })
        .collect();
    let columns = columns.map_or_else(|| "[...]".to_owned(), |c| format!("[{}]", c.join(", ")));
    let name = if stmt.idxname.is_empty() {
        "None".to_owned()
    } else {
        py_str(&stmt.idxname)
    };
    let mut args = vec![name, py_str(&table.name), columns];
    if let Some(rel) = &stmt.relation
        && !rel.schemaname.is_empty()
    {
        args.push(format!("schema={}", py_str(&rel.schemaname)));
    }
    if stmt.unique {
        args.push("unique=True".to_owned());
    }
    if !stmt.access_method.is_empty() && stmt.access_method != "btree" {
        args.push(format!("postgresql_using={}", py_str(&stmt.access_method)));
    }
    if stmt.where_clause.is_some() {
        args.push("postgresql_where=...".to_owned());
    }
    args.push("postgresql_concurrently=True".to_owned());
    format!("op.create_index({})", args.join(", "))
}

/// `op.drop_index(...)` for an index, concurrently.
pub fn alembic_drop_index(index: &QualifiedName, table: Option<&QualifiedName>) -> String {
    let mut args = vec![py_str(&index.name)];
    if let Some(table) = table {
        args.push(format!("table_name={}", py_str(&table.name)));
    }
    if index.schema != DEFAULT_SCHEMA {
        args.push(format!("schema={}", py_str(&index.schema)));
    }
    args.push("postgresql_concurrently=True".to_owned());
    format!("op.drop_index({})", args.join(", "))
}

/// For a plain file: where `CONCURRENTLY` has to go when this statement runs in a transaction or a
/// DO block; empty when it already runs on its own.
pub fn plain_placement(ctx: &StatementContext) -> String {
    let statement = ctx.statement;
    match (statement.in_transaction, statement.in_do_block) {
        (false, false) => String::new(),
        (false, true) => {
            " Move it out of the DO block: PostgreSQL refuses it in a function.".into()
        }
        (true, in_do_block) => {
            let block = if in_do_block {
                " in a DO block, inside a transaction: move it out of the block and run it"
            } else {
                " inside a transaction: run it"
            };
            format!(
                " This statement runs{block} {}.",
                plain_outside_transaction(ctx.migration.migration.layout)
            )
        }
    }
}

// Asking for an index (`fk-missing-index`, `expected-index`): the `CREATE INDEX` to add, and
// how the tool that runs the migration can build it.

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

/// `ALTER TABLE <the statement's table> <commands>` as PostgreSQL's deparser writes it, for a
/// suggestion built from the statement's own parts (`None` when the statement is no `ALTER
/// TABLE`).
pub fn alter_table_sql(ctx: &StatementContext, commands: Vec<AlterTableCmd>) -> Option<String> {
    let NodeEnum::AlterTableStmt(stmt) = &ctx.statement.node else {
        return None;
    };
    deparse_alter_table(stmt.clone(), commands)
}

/// As [`alter_table_sql`], on `table` (the name the table had before a rename) instead of the
/// statement's table.
pub fn alter_table_sql_on(
    ctx: &StatementContext,
    table: &QualifiedName,
    commands: Vec<AlterTableCmd>,
) -> Option<String> {
    let NodeEnum::AlterTableStmt(stmt) = &ctx.statement.node else {
        return None;
    };
    let mut stmt = stmt.clone();
    let relation = stmt.relation.as_mut()?;
    relation.relname = table.name.clone();
    if !relation.schemaname.is_empty() || table.schema != DEFAULT_SCHEMA {
        relation.schemaname = table.schema.clone();
    }
    deparse_alter_table(stmt, commands)
}

/// `stmt` with `commands` for its actions, as PostgreSQL's deparser writes it.
fn deparse_alter_table(mut stmt: AlterTableStmt, commands: Vec<AlterTableCmd>) -> Option<String> {
    stmt.cmds = commands
        .into_iter()
        .map(|cmd| pg_query::protobuf::Node {
            node: Some(NodeEnum::AlterTableCmd(Box::new(cmd))),
        })
        .collect();
    crate::parse::deparse(&NodeEnum::AlterTableStmt(stmt))
}

/// `ADD CONSTRAINT` of `constraint` under `name`, `NOT VALID`, as an `ALTER TABLE` command.
pub fn add_not_valid(constraint: &Constraint, name: &str) -> AlterTableCmd {
    AlterTableCmd {
        subtype: AlterTableType::AtAddConstraint as i32,
        def: Some(Box::new(pg_query::protobuf::Node {
            node: Some(NodeEnum::Constraint(Box::new(Constraint {
                conname: name.to_owned(),
                skip_validation: true,
                initially_valid: false,
                ..constraint.clone()
            }))),
        })),
        behavior: pg_query::protobuf::DropBehavior::DropRestrict as i32,
        ..AlterTableCmd::default()
    }
}

/// `cmd`, an `ADD COLUMN`, with only the column constraints `keep` keeps (and without the
/// column's own NOT NULL when `keep` drops NOT NULL constraints); `None` for another command.
pub fn add_column_keeping(
    cmd: &AlterTableCmd,
    keep: impl Fn(&Constraint) -> bool,
) -> Option<AlterTableCmd> {
    let Some(NodeEnum::ColumnDef(column)) = cmd.def.as_ref().and_then(|def| def.node.as_ref())
    else {
        return None;
    };
    let constraints = column
        .constraints
        .iter()
        .filter(|node| match node.node.as_ref() {
            Some(NodeEnum::Constraint(constraint)) => keep(constraint),
            _ => true,
        })
        .cloned()
        .collect();
    let keeps_not_null = keep(&Constraint {
        contype: pg_query::protobuf::ConstrType::ConstrNotnull as i32,
        ..Constraint::default()
    });
    let column = pg_query::protobuf::ColumnDef {
        constraints,
        is_not_null: column.is_not_null && keeps_not_null,
        ..(**column).clone()
    };
    Some(AlterTableCmd {
        def: Some(Box::new(pg_query::protobuf::Node {
            node: Some(NodeEnum::ColumnDef(Box::new(column))),
        })),
        ..cmd.clone()
    })
}

/// `ALTER COLUMN <column> SET DEFAULT <default>`, as an `ALTER TABLE` command.
pub fn set_default(column: &str, default: &pg_query::protobuf::Node) -> AlterTableCmd {
    AlterTableCmd {
        subtype: AlterTableType::AtColumnDefault as i32,
        name: column.to_owned(),
        def: Some(Box::new(default.clone())),
        behavior: pg_query::protobuf::DropBehavior::DropRestrict as i32,
        ..AlterTableCmd::default()
    }
}

/// `base`, or else `base_2`, `base_3`, ...: the first name no constraint of `table` has, for a
/// constraint the advice adds.
pub fn unused_constraint_name(catalog: &Catalog, table: &QualifiedName, base: &str) -> String {
    let taken = |name: &str| {
        catalog.table(table).is_some_and(|known| {
            known
                .constraints
                .iter()
                .any(|constraint| constraint.name.as_deref() == Some(name))
        })
    };
    let mut name = base.to_owned();
    let mut n = 2;
    while taken(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// The name PostgreSQL would give the index: `<table>_<columns>_idx`.
pub fn index_name(table: &QualifiedName, columns: &[String]) -> String {
    format!("{}_{}_idx", table.name, columns.join("_"))
}

/// The index [`add_index`] asks for, to run after the migration: built `CONCURRENTLY IF NOT
/// EXISTS` on a table that existed before it.
pub fn index_suggestion(table: &QualifiedName, columns: &[String], new_table: bool) -> Suggestion {
    let name = quote(&index_name(table, columns));
    let quoted_columns: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let target = format!("{} ({})", quote_table(table), quoted_columns.join(", "));
    Suggestion::after([if new_table {
        format!("CREATE INDEX {name} ON {target}")
    } else {
        format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {target}")
    }])
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
        let tool = match ctx.migration.kind() {
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
    let how = match ctx.migration.kind() {
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
    let how = match ctx.migration.kind() {
        SourceKind::Alembic => how,
        _ => format!("{how} {}", invalid_leftover(&quote(&name))),
    };
    format!(
        "The table already exists, and a plain `CREATE INDEX` blocks its writes while it builds \
         (fine for a small table): build it with `CREATE INDEX CONCURRENTLY` instead. {how}"
    )
}

/// What to do when a concurrent build of `index` (quoted as SQL) fails: it leaves an INVALID
/// index behind, which a later `CREATE INDEX ... IF NOT EXISTS` takes for the finished one.
pub fn invalid_leftover(index: &str) -> String {
    format!(
        "A concurrent build that fails leaves an INVALID index behind, which `IF NOT EXISTS` \
         then skips as if it were built: before trying again, drop it with `DROP INDEX \
         CONCURRENTLY IF EXISTS {index};` (`SELECT indexrelid::regclass FROM pg_index WHERE NOT \
         indisvalid` lists such indexes)."
    )
}

// Partitioned tables: PostgreSQL refuses `CREATE INDEX CONCURRENTLY` on them (and `DROP INDEX
// CONCURRENTLY` of their indexes), so an index is built a partition at a time.

/// The statements that build `stmt`'s index on partitioned table `table` without blocking
/// writes: the parent's index `ON ONLY` the table (instant, and invalid until every partition's
/// index is attached), then per partition a concurrent build and `ALTER INDEX ... ATTACH
/// PARTITION`. `None` when a partition is itself partitioned (its index would need the same
/// steps) or a statement cannot be written.
pub fn partitioned_index_statements(
    catalog: &Catalog,
    stmt: &IndexStmt,
    table: &QualifiedName,
) -> Option<Vec<String>> {
    let relation = stmt.relation.as_ref()?;
    let columns: Vec<String> = stmt
        .index_params
        .iter()
        .map(|param| match param.node.as_ref() {
            Some(NodeEnum::IndexElem(elem)) if !elem.name.is_empty() => elem.name.clone(),
            _ => "expr".to_owned(),
        })
        .collect();
    let parent_name = if stmt.idxname.is_empty() {
        index_name(table, &columns)
    } else {
        stmt.idxname.clone()
    };
    let parent_index = QualifiedName::new(Some(&table.schema), &parent_name);
    let deparse = |stmt: IndexStmt| crate::parse::deparse(&NodeEnum::IndexStmt(Box::new(stmt)));
    let mut statements = vec![deparse(IndexStmt {
        idxname: parent_name.clone(),
        concurrent: false,
        relation: Some(pg_query::protobuf::RangeVar {
            inh: false,
            ..relation.clone()
        }),
        ..stmt.clone()
    })?];
    for partition in catalog.partitions_of(table) {
        if partition.partitioned {
            return None;
        }
        let part_index = QualifiedName::new(
            Some(&partition.name.schema),
            &index_name(&partition.name, &columns),
        );
        statements.push(deparse(IndexStmt {
            idxname: part_index.name.clone(),
            concurrent: true,
            if_not_exists: true,
            relation: Some(pg_query::protobuf::RangeVar {
                schemaname: if partition.name.schema == DEFAULT_SCHEMA {
                    String::new()
                } else {
                    partition.name.schema.clone()
                },
                relname: partition.name.name.clone(),
                inh: true,
                ..relation.clone()
            }),
            ..stmt.clone()
        })?);
        statements.push(format!(
            "ALTER INDEX {} ATTACH PARTITION {}",
            parent_index.to_sql(),
            part_index.to_sql()
        ));
    }
    Some(statements)
}

/// Help for building an index on partitioned table `table` without blocking its writes, around
/// `statements` ([`partitioned_index_statements`], when known); `alembic` is the operation that
/// runs a partition's concurrent build.
/// `finding` about an index on partitioned table `table`, with the recipe that builds it a
/// partition at a time: as help, and as the statements to run instead where the partitions are
/// known.
pub fn partitioned_index_finding(
    finding: Finding,
    ctx: &StatementContext,
    stmt: &IndexStmt,
    table: &QualifiedName,
) -> Finding {
    let statements = partitioned_index_statements(ctx.catalog, stmt, table);
    let help = partitioned_index_help(
        ctx,
        table,
        statements.as_deref(),
        "op.create_index(..., postgresql_concurrently=True)",
    );
    let finding = finding.help(help);
    match statements {
        Some(statements) => finding.suggest(Suggestion::instead(statements)),
        None => finding,
    }
}

pub fn partitioned_index_help(
    ctx: &StatementContext,
    table: &QualifiedName,
    statements: Option<&[String]>,
    alembic: &str,
) -> String {
    let builds: Vec<&str> = statements
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .filter(|sql| sql.contains(" CONCURRENTLY "))
        .collect();
    let concurrent = if builds.is_empty() {
        "CREATE INDEX CONCURRENTLY ... ON <partition> (...)".to_owned()
    } else {
        builds.join("; ")
    };
    let steps = here(statements);
    format!(
        "`{table}` is partitioned: PostgreSQL refuses `CREATE INDEX CONCURRENTLY` on it, and a \
         plain `CREATE INDEX` holds SHARE on it and on every partition for the whole build. \
         Build the index a partition at a time: `CREATE INDEX ... ON ONLY {table}` makes the \
         parent's index at once (invalid for now); then for each partition build its index \
         `CONCURRENTLY` and attach it with `ALTER INDEX <parent index> ATTACH PARTITION \
         <partition index>`; the parent's index becomes valid when every partition has one \
         attached (a partition that is partitioned itself takes the same steps).{steps} {}",
        outside_transaction(ctx, &concurrent, alembic)
    )
}

/// The statements that add foreign key `constraint` to partitioned table `table` without a
/// long lock, where PostgreSQL (before 18) refuses `NOT VALID` on the partitioned table: the key
/// on each partition `NOT VALID`, then validated there (writes go on), then on the parent, which
/// takes over the partitions' validated keys without checking a row again. `None` when the
/// catalog knows no partition, or one is partitioned itself.
pub fn partitioned_foreign_key_statements(
    catalog: &Catalog,
    table: &QualifiedName,
    constraint: &pg_query::protobuf::Constraint,
) -> Option<Vec<String>> {
    use pg_query::protobuf::{AlterTableCmd, AlterTableStmt, AlterTableType, Node, ObjectType};
    let columns = crate::parse::ast::strings(&constraint.fk_attrs).join("_");
    let name = if constraint.conname.is_empty() {
        format!("{}_{columns}_fkey", table.name)
    } else {
        constraint.conname.clone()
    };
    let add = |on: &QualifiedName, not_valid: bool| {
        let schemaname = if on.schema == DEFAULT_SCHEMA {
            String::new()
        } else {
            on.schema.clone()
        };
        let def = pg_query::protobuf::Constraint {
            conname: name.clone(),
            skip_validation: not_valid,
            initially_valid: !not_valid,
            ..constraint.clone()
        };
        let cmd = AlterTableCmd {
            subtype: AlterTableType::AtAddConstraint as i32,
            def: Some(Box::new(Node {
                node: Some(NodeEnum::Constraint(Box::new(def))),
            })),
            behavior: pg_query::protobuf::DropBehavior::DropRestrict as i32,
            ..AlterTableCmd::default()
        };
        crate::parse::deparse(&NodeEnum::AlterTableStmt(AlterTableStmt {
            relation: Some(pg_query::protobuf::RangeVar {
                schemaname,
                relname: on.name.clone(),
                inh: true,
                relpersistence: "p".to_owned(),
                ..Default::default()
            }),
            cmds: vec![Node {
                node: Some(NodeEnum::AlterTableCmd(Box::new(cmd))),
            }],
            objtype: ObjectType::ObjectTable as i32,
            missing_ok: false,
        }))
    };
    let mut statements = Vec::new();
    for partition in catalog.partitions_of(table) {
        if partition.partitioned {
            return None;
        }
        statements.push(add(&partition.name, true)?);
        statements.push(format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            partition.name.to_sql(),
            crate::parse::quote_ident(&name)
        ));
    }
    if statements.is_empty() {
        return None;
    }
    statements.push(add(table, false)?);
    Some(statements)
}

/// ` Here: `a;` `b;`.` — the statements worked out for this case, each on one line, for a help
/// text; empty when there are none.
pub fn here(statements: Option<&[String]>) -> String {
    match statements {
        Some(statements) => format!(
            " Here: {}.",
            statements
                .iter()
                .map(|sql| format!("`{};`", crate::parse::text::one_line(sql)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => String::new(),
    }
}

// Another column type (`ban-char`, `prefer-jsonb`, `prefer-timestamptz`, `prefer-identity`,
// `prefer-bigint-key`): the flagged statement with the type rewritten in place
// (`TypedColumn::retyped`).

/// What makes an integer column an identity column, in the form the help recommends.
pub const IDENTITY: &str = "GENERATED BY DEFAULT AS IDENTITY";

/// `SET [LOCAL] <setting> = <value>`, to run before the statement, at the top of its migration:
/// `LOCAL` where the migration runs in a transaction (drizzle-kit and Alembic run each in one),
/// so that the setting ends with it.
pub fn set_timeout(ctx: &StatementContext, setting: &str, value: &str) -> String {
    let local = match ctx.migration.migration.kind() {
        SourceKind::Drizzle | SourceKind::Alembic => true,
        SourceKind::Plain => ctx.statement.in_transaction,
    };
    let local = if local { "LOCAL " } else { "" };
    format!("SET {local}{setting} = {value}")
}

/// Where `set` ([`set_timeout`]) goes in the migration, for a help text.
pub fn where_to_set(ctx: &StatementContext, set: &str) -> String {
    match ctx.migration.migration.kind() {
        SourceKind::Drizzle => format!(
            "`{set};--> statement-breakpoint` at the top of the migration (drizzle-kit migrate \
             runs it inside its transaction, so it lasts until the commit)"
        ),
        SourceKind::Alembic => format!("`op.execute({})` at the start of upgrade()", py_str(set)),
        SourceKind::Plain if ctx.statement.in_transaction => format!(
            "`{set};` at the top of the file's transaction (the file runs in one, and `SET \
             LOCAL` lasts until it ends)"
        ),
        SourceKind::Plain => format!(
            "`{set};` at the top of the file (`SET LOCAL` when the file runs in a transaction)"
        ),
    }
}
