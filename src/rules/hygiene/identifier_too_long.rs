//! `identifier-too-long`: a table, column, index or constraint name over 63 bytes, which
//! PostgreSQL truncates (NAMEDATALEN - 1).

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ObjectType};

use crate::catalog::creates_what_is_there;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{LexemeKind, ast, lex};

declare_rule! {
    pub struct IdentifierTooLong {
        id: "identifier-too-long",
        family: Hygiene,
        severity: Warning,
        summary: "A table, column, index or constraint name is over 63 bytes: PostgreSQL truncates it",
    }
}

/// PostgreSQL's longest name: NAMEDATALEN - 1 bytes.
const MAX_NAME_BYTES: usize = 63;

/// `name` cut as PostgreSQL cuts it: to 63 bytes, at a character boundary.
fn truncated(name: &str) -> &str {
    let mut end = MAX_NAME_BYTES.min(name.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

impl Rule for IdentifierTooLong {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        if creates_what_is_there(ctx.catalog, &ctx.statement.node) {
            return;
        }
        // The parse tree holds the names already cut (the parser truncates as the server does):
        // a defined name of 60 bytes or more may have been longer as written.
        let defined: BTreeSet<&str> = defined_names(&ctx.statement.node)
            .into_iter()
            .filter(|name| name.len() + 3 >= MAX_NAME_BYTES)
            .collect();
        if defined.is_empty() {
            return;
        }
        let start = ctx.statement.span.start;
        let mut reported = BTreeSet::new();
        for lexeme in lex(ctx.statement_text()) {
            if !matches!(lexeme.kind, LexemeKind::Identifier | LexemeKind::Keyword) {
                continue;
            }
            let Some(written) = lexeme.name() else {
                continue;
            };
            if written.len() <= MAX_NAME_BYTES {
                continue;
            }
            let cut = truncated(&written);
            // Reported where it is defined, once; references to it are cut alike and resolve.
            if !defined.contains(cut) || !reported.insert(cut.to_owned()) {
                continue;
            }
            let message = format!(
                "name `{written}` is {} bytes: PostgreSQL truncates it to its first 63, \
                 `{cut}` (with a NOTICE)",
                written.len()
            );
            let help = "Choose a name of at most 63 bytes. SQL that names it in full still \
                        works, since PostgreSQL cuts every mention alike, but the database \
                        holds another name than the code and the ORM's schema: generated \
                        migrations and snapshots see a difference that never goes away, and two \
                        names that differ only after byte 63 collide.";
            let span = start + lexeme.span.start..start + lexeme.span.end;
            out.push(ctx.finding(span, message).help(help));
        }
    }
}

/// The names `node` gives to tables, columns, indexes and constraints, as parsed.
fn defined_names(node: &NodeEnum) -> Vec<&str> {
    let mut names = Vec::new();
    match node {
        NodeEnum::CreateStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                names.push(rel.relname.as_str());
            }
            for element in &stmt.table_elts {
                match element.node.as_ref() {
                    Some(NodeEnum::ColumnDef(def)) => {
                        names.push(def.colname.as_str());
                        names
                            .extend(ast::constraints(&def.constraints).map(|c| c.conname.as_str()));
                    }
                    Some(NodeEnum::Constraint(c)) => names.push(c.conname.as_str()),
                    _ => {}
                }
            }
        }
        NodeEnum::CreateTableAsStmt(stmt) => {
            if let Some(rel) = stmt.into.as_ref().and_then(|into| into.rel.as_ref()) {
                names.push(rel.relname.as_str());
            }
        }
        NodeEnum::AlterTableStmt(stmt) => {
            for (kind, cmd) in ast::alter_table_cmds(stmt) {
                match (kind, cmd.def.as_deref().and_then(|def| def.node.as_ref())) {
                    (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(def))) => {
                        names.push(def.colname.as_str());
                        names
                            .extend(ast::constraints(&def.constraints).map(|c| c.conname.as_str()));
                    }
                    (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(c))) => {
                        names.push(c.conname.as_str());
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::IndexStmt(stmt) => names.push(stmt.idxname.as_str()),
        NodeEnum::RenameStmt(stmt)
            if matches!(
                ObjectType::try_from(stmt.rename_type),
                Ok(ObjectType::ObjectTable
                    | ObjectType::ObjectColumn
                    | ObjectType::ObjectIndex
                    | ObjectType::ObjectTabconstraint)
            ) =>
        {
            names.push(stmt.newname.as_str());
        }
        _ => {}
    }
    names
}
