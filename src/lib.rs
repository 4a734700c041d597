//! precursor-registry: the registry of precursor chemicals (易制毒化学品) shared by regulators,
//! enterprises and their association.
//!
//! Floors, lowest first (docs/architecture.md; tests/architecture.rs enforces them): the pure
//! core (`domain`, the custody validator, the grading rules) → plumbing (`error`, `db`, `config`,
//! `metrics`, `paging`, `ratelimit`) → `auth` → the slices → `web` → `startup` → `cli`. Within a
//! slice: HTTP handlers (`http.rs`) → policy → services → stores (diesel) over the pure core.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod activity;
pub mod alerts;
pub mod audits;
pub mod auth;
pub mod chemicals;
pub mod cli;
pub mod config;
pub mod console;
pub mod counterparties;
pub mod custody;
pub mod db;
pub mod declarations;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod error;
pub mod firms;
pub mod grading;
pub mod identifiers;
pub mod ledger;
pub mod metrics;
pub mod paging;
pub mod permits;
pub mod ratelimit;
pub mod sessions;
pub mod shipments;
pub mod startup;
pub mod transparency;
pub mod users;
pub mod web;
pub mod workbook;

pub use config::Settings;
pub use startup::Application;
