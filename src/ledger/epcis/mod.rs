//! GS1 EPCIS 2.0 (issue 14): a firm's ledger written as one EPCISDocument, and documents from a
//! firm's ERP or warehouse system filed as ledger entries. `mapping` is the pure table both
//! ways (docs/epcis.md); `schema` is GS1's JSON Schema; `export` and `import` are the services.

pub mod export;
pub mod import;
pub mod mapping;
pub mod schema;
pub mod store;
#[cfg(test)]
mod tests;

/// The largest document `POST /firms/{id}/ledger/epcis` reads.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
/// The media type of an EPCIS 2.0 JSON-LD document.
pub const CONTENT_TYPE: &str = "application/ld+json";
