//! One module per command: its flags and what it does.

pub(super) mod backup;
pub(super) mod config;
pub(super) mod demo;
pub(super) mod export;
pub(super) mod grades;
pub(super) mod import;
pub(super) mod migrate;
pub(super) mod offline;
pub(super) mod serve;
pub(super) mod user;
pub(super) mod validate;
pub(super) mod verify;
