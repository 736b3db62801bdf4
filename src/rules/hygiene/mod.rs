//! Hygiene rules: column types and extensions.

pub(crate) mod ban_char;
pub(crate) mod extension_not_allowed;
pub(crate) mod prefer_identity;
pub(crate) mod prefer_jsonb;
pub(crate) mod prefer_timestamptz;
