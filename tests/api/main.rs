//! Integration tests: the real server over HTTP, on SQLite and (when configured) PostgreSQL.

mod accounts;
mod alerts;
mod authentication;
mod authorization;
mod catalog;
mod console;
mod console_admin;
mod console_grades;
mod console_ledger;
mod console_regulator;
mod console_trace;
mod counterparties;
mod custody;
mod demo;
mod firms;
mod grading;
mod helpers;
mod ledger;
mod ledger_model;
mod operations;
mod permits;
mod public_directory;
mod rule_packs;
mod shipments;
mod storage;
mod visitor;
