//! What every console page shares, below the slices that render them: the languages and their
//! catalogs (`i18n`), the signed-in user of a cookie session (`session`), the page around the
//! content and the answer it goes out in (`page`).
//!
//! Pages live in their slices (`<slice>/pages.rs`) and call the same services as the API.

pub mod errors;
pub mod form;
pub mod i18n;
pub mod page;
pub mod session;

pub use form::Problems;
pub use i18n::{Lang, Texts};
pub use page::{Chrome, PageError};
pub use session::ConsoleUser;
