//! Column types written by a statement, for the hygiene rules that judge them
//! (`prefer-timestamptz`, `prefer-jsonb`, `prefer-identity`, `ban-char`).

use std::borrow::Cow;
use std::ops::Range;

use pg_query::protobuf::{ColumnDef, TypeName};

use crate::catalog::{WrittenColumn, types, written_columns};
use crate::engine::StatementContext;
use crate::parse::{ast, text};
use crate::rules::support::advice;

/// A column type in the statement, with its canonical base name. Its spelling and span are
/// worked out only for the columns a rule reports.
pub struct TypedColumn<'a> {
    pub column: WrittenColumn<'a>,
    /// [`types::base_name`]: `timestamp`, `json`, `serial`, `bpchar`.
    pub base: Cow<'a, str>,
    type_name: &'a TypeName,
}

impl TypedColumn<'_> {
    /// [`types::type_name`]: `timestamp(3)`, `bpchar(2)`.
    pub fn spelled(&self) -> String {
        types::type_name(self.type_name)
    }

    /// The type as written: `timestamp(3) without time zone`, `character(2)`.
    pub fn span(&self, ctx: &StatementContext) -> Range<usize> {
        if self.type_name.location >= 0 {
            type_span(ctx, self.type_name.location)
        } else {
            ctx.name_span(self.column.location, self.column.name)
        }
    }

    /// The statement again with `change` made to this column's definition
    /// ([`advice::statement_with_column`]).
    pub fn statement_with(
        &self,
        ctx: &StatementContext,
        change: impl FnOnce(&mut ColumnDef),
    ) -> Option<String> {
        advice::statement_with_column(ctx, self.type_name.location, change)
    }
}

/// The types of the columns `ctx`'s statement defines or retypes. A temporary table's are left
/// out: it lives for one session and is no part of the schema the style rules keep.
pub fn typed_columns<'a>(ctx: &'a StatementContext) -> Vec<TypedColumn<'a>> {
    if ast::creates_temporary_table(&ctx.statement.node) {
        return Vec::new();
    }
    written_columns(&ctx.statement.node)
        .into_iter()
        .filter_map(|column| {
            let type_name = column.type_name?;
            Some(TypedColumn {
                base: types::base_name(type_name),
                type_name,
                column,
            })
        })
        .collect()
}

/// Words that continue a type name (`double precision`, `character varying`,
/// `timestamp without time zone`).
const CONTINUATIONS: &[&str] = &["with", "without", "time", "zone", "varying", "precision"];

/// The span of a type written at node `location`: its name, modifiers, array bounds and the
/// words of multi-word type names.
fn type_span(ctx: &StatementContext, location: i32) -> Range<usize> {
    let file = &ctx.migration.file.text;
    let start = ctx
        .statement
        .offset(location)
        .clamp(ctx.statement.span.start, ctx.statement.span.end);
    let rest = &file[start..ctx.statement.span.end];
    let mut end = text::name_len(rest);
    loop {
        let next = end + rest[end..].len() - rest[end..].trim_start().len();
        let after = &rest[next..];
        let close = match after.as_bytes().first() {
            Some(b'(') => Some(')'),
            Some(b'[') => Some(']'),
            _ => None,
        };
        if let Some(close) = close {
            match after.find(close) {
                Some(at) => end = next + at + 1,
                None => break,
            }
            continue;
        }
        let word = text::name_len(after);
        if word > 0
            && CONTINUATIONS
                .iter()
                .any(|c| after[..word].eq_ignore_ascii_case(c))
        {
            end = next + word;
            continue;
        }
        break;
    }
    start..start + end.max(1).min(rest.len())
}
