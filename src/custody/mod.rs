//! Chain of custody: the validator (pure), its findings' life cycle, and the lot trace.

pub mod model;
pub mod validator;

pub use model::{Code, Finding, Severity};
pub use validator::validate;

#[cfg(test)]
mod tests;
