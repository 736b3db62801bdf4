//! Hygiene rules: column types and extensions.

pub(crate) mod ban_char;
pub(crate) mod extension_not_allowed;
pub(crate) mod identifier_too_long;
pub(crate) mod prefer_bigint_key;
pub(crate) mod prefer_identity;
pub(crate) mod prefer_jsonb;
pub(crate) mod prefer_timestamptz;
