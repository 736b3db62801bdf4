//! chronos-lint: a schema-governance linter for PostgreSQL migrations written by several
//! migration systems into one database.
//!
//! Stages, in the order data flows: [`source`] (discovery, drizzle, Alembic) → [`parse`]
//! (pg_query, spans) → [`catalog`] (replayed schema) → [`rules`] → [`suppress`] → [`findings`]
//! (kept for the report, their texts spilled to a temporary file on large runs) → [`report`].
//! [`lint`] runs the static stages; [`cli`] wires everything to the command line. With
//! `--shadow`, [`shadow`] applies the migrations to a real PostgreSQL and hands a [`trace`] to
//! [`lint`], whose shadow rules judge it ([`snapshot_diff`]: how its schema differs from
//! drizzle-kit's snapshot).

pub mod applied;
pub mod cache;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod database;
pub mod diagnostic;
pub mod directus;
pub mod engine;
pub mod findings;
pub mod init;
pub mod lint;
pub mod parse;
pub mod regular_file;
pub mod report;
pub mod rules;
pub mod shadow;
pub mod snapshot_diff;
pub mod source;
pub mod trace;
