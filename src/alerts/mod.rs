//! Alerts that reach people: facts the registry already keeps (a dispatch addressed to a firm,
//! a dispatch overdue or refused, a new critical finding) become events (`scan`), delivered to
//! webhook subscribers as signed JSON POSTs from a queue in the database (`deliver`), and served
//! as server-sent events (`stream`). The pure rules (kinds, scope, backoff, signature) are in
//! `rules`; the background thread that runs scan and deliveries is `worker`. docs/alerts.md.

pub mod deliver;
pub mod http;
pub mod rules;
pub mod scan;
pub mod store;
pub mod stream;
pub mod subscriptions;
pub mod worker;

pub use rules::EventKind;
pub use worker::Worker;

#[cfg(test)]
mod tests;
