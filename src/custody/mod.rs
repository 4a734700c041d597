//! Chain of custody: the validator (pure: `model` and `validator`), a run that records its
//! findings (`run`), the life of those findings (`findings`), and the lot trace (`trace`); the
//! background runner (`continuous`, its lease in `lease`).

pub mod continuous;
pub mod drawing;
pub mod findings;
pub mod http;
pub mod lease;
pub mod model;
pub mod pages;
pub mod rules_view;
pub mod run;
pub mod store;
pub mod trace;
pub mod usage;
pub mod validator;
pub mod watermarks;
pub mod workbook;

pub use model::Finding;
pub use run::run_validation;
pub use validator::validate;

#[cfg(test)]
mod partition_tests;
#[cfg(test)]
mod scope_tests;
#[cfg(test)]
mod tests;
