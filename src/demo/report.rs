//! What a demo run reports: the sign-ins it created and the gaps it put in on purpose.

use uuid::Uuid;

use crate::domain::Role;

/// A sign-in created for the demo; the password is random and shown only here.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub password: String,
    pub firm_id: Option<Uuid>,
}

/// A custody gap put in on purpose: the finding code it should produce, the firm it is
/// recorded against and the entries concerned.
#[derive(Debug, Clone)]
pub struct InjectedGap {
    pub code: &'static str,
    pub firm_id: Uuid,
    pub entry_ids: Vec<Uuid>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub accounts: Vec<DemoAccount>,
    pub firms: usize,
    pub permits: usize,
    pub entries: usize,
    pub injected: Vec<InjectedGap>,
}
