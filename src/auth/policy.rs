//! Who may do what to which object. Every handler asks here before touching data.
//!
//! Two checks, in this order: the role may perform the action at all (else 403), and the
//! object belongs to the caller (else 404, so another firm's existence is not revealed).

use uuid::Uuid;

use super::Principal;
use crate::domain::Role;
use crate::error::AppError;

/// How much of a firm the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirmView {
    /// Every field (regulators, and an enterprise for its own firm).
    Full,
    /// Directory fields only: name, region, current grade (the association).
    Directory,
}

pub fn require_role(who: &Principal, allowed: &[Role]) -> Result<(), AppError> {
    if allowed.contains(&who.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Adding a chemical to the list or changing its category: an admin, as the law is amended.
pub fn amend_catalog(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Admin])
}

pub fn manage_users(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Admin])
}

/// Reading the activity log: admins and regulators.
pub fn read_activity(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator, Role::Admin])
}

/// The in-transit board of every shipment between registered firms.
pub fn watch_shipments(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator])
}

/// Registering firms, changing their status, issuing permits.
pub fn supervise_firms(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator])
}

/// Listing firms: what part of the directory the caller sees. Enterprises see only their own.
pub fn list_firms(who: &Principal) -> Result<FirmView, AppError> {
    match who.role {
        Role::Regulator | Role::Enterprise => Ok(FirmView::Full),
        Role::Association => Ok(FirmView::Directory),
        Role::Admin => Err(AppError::Forbidden),
    }
}

pub fn view_firm(who: &Principal, firm_id: Uuid) -> Result<FirmView, AppError> {
    let view = list_firms(who)?;
    own_firm_if_enterprise(who, firm_id)?;
    Ok(view)
}

/// Reading a firm's records (permits, ledger, inventory): regulators, and the firm itself.
pub fn read_firm_records(who: &Principal, firm_id: Uuid) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator, Role::Enterprise])?;
    own_firm_if_enterprise(who, firm_id)
}

/// Checking whether another firm may buy a chemical before selling to it: enterprises (the
/// sellers) and regulators. The answer is about any registered firm, so no ownership check.
pub fn check_counterparties(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator, Role::Enterprise])
}

/// Publishing a period's confirmed grades in the public directory: the association only.
pub fn publish_grades(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Association])
}

/// Listing the publications: the association and regulators.
pub fn read_publications(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Association, Role::Regulator])
}

/// Subscribing to alerts and streaming events: regulators, and enterprises (for their own firm,
/// which the alerts scope enforces). The association and admins receive no events.
pub fn receive_alerts(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator, Role::Enterprise])
}

/// Registering a firm's GS1 identifiers: its own enterprise users, and regulators.
pub fn register_identifiers(who: &Principal, firm_id: Uuid) -> Result<(), AppError> {
    require_role(who, &[Role::Regulator, Role::Enterprise])?;
    own_firm_if_enterprise(who, firm_id)
}

/// Filing into a firm's ledger: only that firm's own enterprise users.
pub fn file_for_firm(who: &Principal, firm_id: Uuid) -> Result<(), AppError> {
    require_role(who, &[Role::Enterprise])?;
    own_firm_if_enterprise(who, firm_id)
}

/// The firm filter of a list as the caller may use it: an enterprise lists its own firm only,
/// whatever it asks for (another firm: 404); anyone else gets the filter it gave.
pub fn firm_filter(who: &Principal, asked: Option<String>) -> Result<Option<String>, AppError> {
    match who.firm_id {
        Some(own) if asked.as_deref().is_some_and(|f| f != own.to_string()) => {
            Err(AppError::NotFound)
        }
        Some(own) => Ok(Some(own.to_string())),
        None => Ok(asked),
    }
}

fn own_firm_if_enterprise(who: &Principal, firm_id: Uuid) -> Result<(), AppError> {
    if who.role == Role::Enterprise && who.firm_id != Some(firm_id) {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, firm: Option<Uuid>) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            role,
            firm_id: firm,
        }
    }

    #[test]
    fn enterprise_sees_only_its_own_firm() {
        let own = Uuid::now_v7();
        let other = Uuid::now_v7();
        let clerk = user(Role::Enterprise, Some(own));
        assert_eq!(view_firm(&clerk, own).ok(), Some(FirmView::Full));
        assert!(matches!(view_firm(&clerk, other), Err(AppError::NotFound)));
        assert!(read_firm_records(&clerk, own).is_ok());
        assert!(matches!(
            read_firm_records(&clerk, other),
            Err(AppError::NotFound)
        ));
        assert!(matches!(supervise_firms(&clerk), Err(AppError::Forbidden)));
    }

    #[test]
    fn sellers_and_regulators_check_counterparties() {
        let clerk = user(Role::Enterprise, Some(Uuid::now_v7()));
        assert!(check_counterparties(&clerk).is_ok());
        assert!(check_counterparties(&user(Role::Regulator, None)).is_ok());
        for role in [Role::Association, Role::Admin] {
            assert!(matches!(
                check_counterparties(&user(role, None)),
                Err(AppError::Forbidden)
            ));
        }
    }

    #[test]
    fn association_sees_the_directory_and_no_records() {
        let officer = user(Role::Association, None);
        let firm = Uuid::now_v7();
        assert_eq!(view_firm(&officer, firm).ok(), Some(FirmView::Directory));
        assert!(matches!(
            read_firm_records(&officer, firm),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn only_the_association_publishes_grades() {
        let clerk = user(Role::Enterprise, Some(Uuid::now_v7()));
        assert!(publish_grades(&user(Role::Association, None)).is_ok());
        for who in [
            user(Role::Regulator, None),
            user(Role::Admin, None),
            clerk.clone(),
        ] {
            assert!(matches!(publish_grades(&who), Err(AppError::Forbidden)));
        }
        assert!(read_publications(&user(Role::Regulator, None)).is_ok());
        assert!(read_publications(&user(Role::Association, None)).is_ok());
        for who in [user(Role::Admin, None), clerk] {
            assert!(matches!(read_publications(&who), Err(AppError::Forbidden)));
        }
    }

    #[test]
    fn admin_manages_users_and_nothing_else() {
        let admin = user(Role::Admin, None);
        assert!(manage_users(&admin).is_ok());
        assert!(matches!(list_firms(&admin), Err(AppError::Forbidden)));
        assert!(matches!(supervise_firms(&admin), Err(AppError::Forbidden)));
        assert!(matches!(
            manage_users(&user(Role::Regulator, None)),
            Err(AppError::Forbidden)
        ));
    }
}
