//! Customer declarations (EU Reg. 273/2004 Art. 4): before supplying a category-1 or -2
//! substance, the supplier obtains from its customer a declaration of the specific use, for
//! that customer and substance, and keeps it on file. A rule pack that asks for them (`eu`)
//! finds a supply without one: MISSING_CUSTOMER_DECLARATION. Kept, never edited: a declaration
//! ends at its `valid_until`.

pub mod http;
pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, CreditCode};
use crate::error::{required_text, AppError, FieldError};
use crate::firms;
use crate::paging::{Page, PageOf};
use store::DeclarationRow;

/// The customer who declared: a registered firm, or an outside one by name and credit code.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerRequest {
    pub firm_id: Option<String>,
    pub name: Option<String>,
    pub credit_code: Option<String>,
}

/// `POST /firms/{id}/declarations`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DeclareRequest {
    pub customer: Option<CustomerRequest>,
    /// The catalog id of the substance declared.
    pub chemical_id: String,
    /// The specific use the customer declared.
    pub intended_use: String,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The paper's own reference, if any.
    pub document_ref: Option<String>,
}

/// Who declared, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Customer {
    Registered(Uuid),
    Outside {
        name: String,
        credit_code: CreditCode,
    },
}

/// A declaration that passed every field check.
#[derive(Debug, Clone)]
pub struct NewDeclaration {
    pub customer: Customer,
    pub chemical_id: Uuid,
    pub intended_use: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub document_ref: Option<String>,
}

impl CustomerRequest {
    fn parse(self, errors: &mut Vec<FieldError>) -> Option<Customer> {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
        match (&self.firm_id, blank(&self.name) && blank(&self.credit_code)) {
            (Some(id), true) => match Uuid::parse_str(id.trim()) {
                Ok(id) => Some(Customer::Registered(id)),
                Err(_) => {
                    errors.push(FieldError::new(
                        "customer.firm_id",
                        "invalid_id",
                        "is not a firm id",
                    ));
                    None
                }
            },
            (Some(_), false) => {
                let message = "give the firm_id of a registered customer, or the name and credit code of an outside one, not both";
                errors.push(FieldError::new("customer", "ambiguous_customer", message));
                None
            }
            (None, _) => {
                let name = required_text(
                    "customer.name",
                    self.name.as_deref().unwrap_or(""),
                    200,
                    errors,
                );
                let code = self.credit_code.as_deref().unwrap_or("").trim();
                match CreditCode::parse(code) {
                    Ok(credit_code) if !name.is_empty() => {
                        Some(Customer::Outside { name, credit_code })
                    }
                    Ok(_) => None,
                    Err(e) => {
                        let field = "customer.credit_code";
                        errors.push(FieldError::new(field, e.code(), e.to_string()));
                        None
                    }
                }
            }
        }
    }
}

impl DeclareRequest {
    pub fn parse(self) -> Result<NewDeclaration, AppError> {
        let mut errors = Vec::new();
        let customer = match self.customer {
            Some(c) => c.parse(&mut errors),
            None => {
                errors.push(FieldError::new("customer", "required", "is required"));
                None
            }
        };
        let chemical_id = Uuid::parse_str(self.chemical_id.trim()).ok();
        if chemical_id.is_none() {
            errors.push(FieldError::new(
                "chemical_id",
                "invalid_id",
                "is not a catalog id",
            ));
        }
        let intended_use = required_text("intended_use", &self.intended_use, 500, &mut errors);
        let document_ref = self
            .document_ref
            .filter(|r| !r.trim().is_empty())
            .map(|r| required_text("document_ref", &r, 64, &mut errors));
        let (valid_from, valid_until) = validity(self.valid_from, self.valid_until, &mut errors);
        match (customer, chemical_id, valid_from, valid_until) {
            (Some(customer), Some(chemical_id), Some(valid_from), Some(valid_until))
                if errors.is_empty() =>
            {
                Ok(NewDeclaration {
                    customer,
                    chemical_id,
                    intended_use,
                    valid_from,
                    valid_until,
                    document_ref,
                })
            }
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Both ends of the validity, the end after the start, each as the database keeps it.
fn validity(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    errors: &mut Vec<FieldError>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    for (field, value) in [("valid_from", from), ("valid_until", until)] {
        if value.is_none() {
            errors.push(FieldError::new(field, "required", "is required (RFC 3339)"));
        }
    }
    if let (Some(from), Some(until)) = (from, until) {
        if until <= from {
            let message = "must be later than valid_from";
            errors.push(FieldError::new("valid_until", "invalid_validity", message));
        }
    }
    let stored = |t: DateTime<Utc>| time::from_db(time::to_db(t));
    (from.map(stored), until.map(stored))
}

/// A declaration on file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Declaration {
    pub id: Uuid,
    /// The supplier that keeps it.
    pub firm_id: Uuid,
    pub customer_firm_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub customer_credit_code: Option<String>,
    pub chemical_id: Uuid,
    pub intended_use: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub document_ref: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl DeclarationRow {
    fn to_declaration(&self) -> Result<Declaration, AppError> {
        let id = |text: &str| {
            Uuid::parse_str(text)
                .map_err(|_| AppError::internal(format!("declaration {} has a bad id", self.id)))
        };
        Ok(Declaration {
            id: id(&self.id)?,
            firm_id: id(&self.firm_id)?,
            customer_firm_id: self.customer_firm_id.as_deref().map(id).transpose()?,
            customer_name: self.customer_name.clone(),
            customer_credit_code: self.customer_credit_code.clone(),
            chemical_id: id(&self.chemical_id)?,
            intended_use: self.intended_use.clone(),
            valid_from: time::from_db(self.valid_from),
            valid_until: time::from_db(self.valid_until),
            document_ref: self.document_ref.clone(),
            created_at: time::from_db(self.created_at),
        })
    }
}

/// Files a customer's declaration for the firm (the firm's own enterprise users).
pub fn declare(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    request: DeclareRequest,
) -> Result<Declaration, AppError> {
    policy::file_for_firm(who, firm_id)?;
    let new = request.parse()?;
    write_tx(conn, |conn| {
        firms::require(conn, firm_id)?;
        let chemical = new.chemical_id.to_string();
        if crate::chemicals::store::count_existing(conn, std::slice::from_ref(&chemical))? != 1 {
            let message = "is not in the catalog";
            return Err(AppError::field("chemical_id", "unknown_chemical", message));
        }
        let (customer_firm_id, customer_name, customer_credit_code) = match &new.customer {
            Customer::Registered(id) if *id == firm_id => {
                let message = "a firm does not declare to itself";
                return Err(AppError::field("customer.firm_id", "own_firm", message));
            }
            Customer::Registered(id) => {
                firms::require(conn, *id).map_err(|_| {
                    let message = "is not a registered firm";
                    AppError::field("customer.firm_id", "unknown_firm", message)
                })?;
                (Some(id.to_string()), None, None)
            }
            Customer::Outside { name, credit_code } => (
                None,
                Some(name.clone()),
                Some(credit_code.as_str().to_string()),
            ),
        };
        let row = DeclarationRow {
            id: Uuid::now_v7().to_string(),
            firm_id: firm_id.to_string(),
            customer_firm_id,
            customer_name,
            customer_credit_code,
            chemical_id: chemical,
            intended_use: new.intended_use.clone(),
            valid_from: time::to_db(new.valid_from),
            valid_until: time::to_db(new.valid_until),
            document_ref: new.document_ref.clone(),
            created_by: who.user_id.to_string(),
            created_at: time::now(),
        };
        store::insert(conn, &row)?;
        row.to_declaration()
    })
}

/// The declarations a firm keeps (regulators, and the firm itself).
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    page: Page,
) -> Result<PageOf<Declaration>, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    let rows = store::list_for_firm(conn, firm_id, page)?;
    let items = rows
        .into_iter()
        .map(|row| Ok((row.id.clone(), row.to_declaration()?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, d)| d,
    ))
}
