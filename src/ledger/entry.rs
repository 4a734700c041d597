//! A ledger entry as filed: the wire shape and its field-by-field parse. Checks that need the
//! database (does the chemical exist, is the reversal target ours) happen in `filing::validate`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::time::OccurredAtFloor;
use crate::domain::{time, CreditCode, EntryKind, Payment, Quantity, ResidentId};
use crate::error::FieldError;

/// How far in the future `occurred_at` may lie (clock skew between a clerk's PC and the server).
pub const MAX_FUTURE_MINUTES: i64 = 5;
/// The default floor of `occurred_at` (docs/ledger.md; the deployment may set another,
/// [`OccurredAtFloor`]): China's precursor regulations date from 2005 (Decree 445), so nothing
/// the registry keeps happened before 2000; an earlier date is a typing error (`0000-01-01`).
pub const EARLIEST_OCCURRED_AT: &str = "2000-01-01T00:00:00Z";
const MAX_TEXT: usize = 500;
const MAX_CODE: usize = 64;

/// Who the stock came from or went to: a registered firm, an outside organization, or a person.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CounterpartyRequest {
    /// A registered firm.
    pub firm_id: Option<String>,
    /// `organization` (the default without `firm_id`) or `individual` (a person: `name` and
    /// `resident_id`).
    pub kind: Option<String>,
    /// An unregistered party: its name, credit code and permit number.
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub permit_no: Option<String>,
    /// A person's resident identity card number (18 characters, its check character verified).
    pub resident_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EntryRequest {
    /// purchase, production, sale, consumption, loss, disposal, stocktake or reversal.
    pub kind: String,
    pub chemical_id: Option<String>,
    /// Required for category 1 and 2 chemicals.
    pub lot: Option<String>,
    /// Decimal string, at most 3 fractional digits, > 0 (a stocktake may count 0).
    #[schema(example = "250.000")]
    pub quantity: Option<String>,
    /// Business time; at most 5 minutes in the future, not before the deployment's floor
    /// (2000-01-01T00:00:00Z unless set).
    pub occurred_at: Option<String>,
    pub counterparty: Option<CounterpartyRequest>,
    /// Sales and purchases: bank_transfer, card, cheque, cash, barter or other (required).
    pub payment: Option<String>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    /// Free text; the reason of a loss.
    pub note: Option<String>,
    /// For a reversal: the id of the entry it cancels.
    pub reverses: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counterparty {
    Registered(Uuid),
    External {
        name: Option<String>,
        credit_code: Option<CreditCode>,
        permit_no: Option<String>,
    },
    /// A person: always named, with a valid resident ID number.
    Individual {
        name: String,
        resident_id: ResidentId,
        permit_no: Option<String>,
    },
}

/// An entry whose every field is well-formed. `chemical_id` and `quantity` are absent only for
/// a reversal, which takes them from the entry it cancels.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub chemical_id: Option<Uuid>,
    pub lot: Option<String>,
    pub quantity: Option<Quantity>,
    pub occurred_at: DateTime<Utc>,
    pub counterparty: Option<Counterparty>,
    pub payment: Option<Payment>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
    pub reverses: Option<Uuid>,
}

/// Collects field errors under a prefix (`entries[3].` in a batch, `` for a single entry).
struct Errors<'a> {
    prefix: &'a str,
    list: Vec<FieldError>,
}

impl Errors<'_> {
    fn push(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.list.push(FieldError::new(
            format!("{}{field}", self.prefix),
            code,
            message,
        ));
    }

    /// An optional text by the one rule for every field (`crate::error::optional_text`):
    /// trimmed, empty means absent, control characters or too long are errors.
    fn text(&mut self, field: &str, value: &Option<String>, max: usize) -> Option<String> {
        let field = format!("{}{field}", self.prefix);
        crate::error::optional_text(&field, value.as_deref(), max, &mut self.list)
    }
}

impl EntryRequest {
    /// Parses every field, reporting all problems at once under `prefix`; `occurred_at` lies
    /// between `floor` and `now` (give or take the clock skew allowed).
    pub fn parse(
        &self,
        prefix: &str,
        now: DateTime<Utc>,
        floor: OccurredAtFloor,
    ) -> Result<NewEntry, Vec<FieldError>> {
        let mut e = Errors {
            prefix,
            list: Vec::new(),
        };
        let kind = EntryKind::parse(self.kind.trim());
        if kind.is_none() {
            e.push(
                "kind",
                "unknown_kind",
                format!("must be one of {}", EntryKind::names()),
            );
        }
        let is_reversal = kind == Some(EntryKind::Reversal);
        let chemical_id = parse_chemical_id(&mut e, self.chemical_id.as_deref(), is_reversal);
        let quantity = parse_quantity(&mut e, self.quantity.as_deref(), kind);
        let occurred_at = parse_occurred_at(&mut e, self.occurred_at.as_deref(), now, floor);
        let lot = e.text("lot", &self.lot, MAX_CODE);
        if is_reversal && lot.is_some() {
            e.push(
                "lot",
                "not_allowed_for_reversal",
                "a reversal takes its lot from the entry it cancels",
            );
        }
        let note = e.text("note", &self.note, MAX_TEXT);
        if kind == Some(EntryKind::Loss) && note.is_none() {
            e.push(
                "note",
                "loss_reason_required",
                "a loss must give its reason (theft, spill, damage, …)",
            );
        }
        let today = now.with_timezone(&time::CHINA).date_naive();
        let counterparty = self
            .counterparty
            .as_ref()
            .and_then(|c| parse_counterparty(c, &mut e, today));
        if let Some(kind) = kind {
            check_counterparty_named(&mut e, kind, counterparty.is_some());
        }
        let payment = parse_payment(&mut e, self.payment.as_deref(), kind);
        let reverses = parse_reverses(&mut e, self.reverses.as_deref(), is_reversal);
        let shipment_ref = e.text("shipment_ref", &self.shipment_ref, MAX_CODE);
        let permit_no = e.text("permit_no", &self.permit_no, MAX_CODE);
        let transport_permit_no =
            e.text("transport_permit_no", &self.transport_permit_no, MAX_CODE);
        let warehouse = e.text("warehouse", &self.warehouse, MAX_CODE);

        match (kind, occurred_at) {
            (Some(kind), Some(occurred_at)) if e.list.is_empty() => Ok(NewEntry {
                kind,
                chemical_id,
                lot,
                quantity,
                occurred_at,
                counterparty,
                payment,
                shipment_ref,
                permit_no,
                transport_permit_no,
                warehouse,
                note,
                reverses,
            }),
            _ => Err(e.list),
        }
    }
}

/// A reversal takes its chemical from the entry it cancels; anything else names one.
fn parse_chemical_id(e: &mut Errors<'_>, text: Option<&str>, is_reversal: bool) -> Option<Uuid> {
    let text = text.map(str::trim).filter(|c| !c.is_empty());
    let text = own_value(e, "chemical_id", "chemical", text, is_reversal)?;
    Uuid::parse_str(text)
        .map_err(|_| e.push("chemical_id", "invalid_id", "is not a catalog id"))
        .ok()
}

/// A reversal takes its quantity from the entry it cancels; only a stocktake may count 0.
fn parse_quantity(
    e: &mut Errors<'_>,
    text: Option<&str>,
    kind: Option<EntryKind>,
) -> Option<Quantity> {
    let is_reversal = kind == Some(EntryKind::Reversal);
    let text = own_value(e, "quantity", "quantity", text, is_reversal)?;
    match Quantity::parse(text) {
        Ok(q) if q.is_zero() && kind != Some(EntryKind::Stocktake) => {
            e.push(
                "quantity",
                "zero_quantity",
                "must be greater than 0 (only a stocktake may count 0)",
            );
            None
        }
        Ok(q) => Some(q),
        Err(err) => {
            e.push("quantity", err.code(), err.to_string());
            None
        }
    }
}

/// The text of a value that an entry gives itself but a reversal copies from its target:
/// required of the one, refused of the other.
fn own_value<'t>(
    e: &mut Errors<'_>,
    field: &str,
    what: &str,
    text: Option<&'t str>,
    is_reversal: bool,
) -> Option<&'t str> {
    match text {
        Some(_) if is_reversal => {
            e.push(
                field,
                "not_allowed_for_reversal",
                format!("a reversal takes its {what} from the entry it cancels"),
            );
            None
        }
        None if !is_reversal => {
            e.push(field, "required", "is required");
            None
        }
        text => text,
    }
}

/// Business time with an offset, stored in UTC to the microsecond; not more than
/// `MAX_FUTURE_MINUTES` ahead of the server's clock, not before the floor.
fn parse_occurred_at(
    e: &mut Errors<'_>,
    text: Option<&str>,
    now: DateTime<Utc>,
    floor: OccurredAtFloor,
) -> Option<DateTime<Utc>> {
    match text.map(str::trim) {
        None | Some("") => {
            e.push(
                "occurred_at",
                "required",
                "is required (RFC 3339, e.g. 2026-04-12T08:30:00+08:00)",
            );
            None
        }
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(t) => {
                let t = time::from_db(time::to_db(t.with_timezone(&Utc)));
                if t > now + Duration::minutes(MAX_FUTURE_MINUTES) {
                    e.push(
                        "occurred_at",
                        "in_future",
                        "lies more than 5 minutes in the future",
                    );
                }
                if t < floor.0 {
                    e.push(
                        "occurred_at",
                        "too_early",
                        format!(
                            "lies before {}, the earliest date the registry accepts",
                            floor.shown()
                        ),
                    );
                }
                Some(t)
            }
            Err(_) => {
                e.push(
                    "occurred_at",
                    "invalid_time",
                    "must be an RFC 3339 time with an offset",
                );
                None
            }
        },
    }
}

/// Purchases and sales name their counterparty; only they and disposals may. A counterparty
/// that did not parse has said so already.
fn check_counterparty_named(e: &mut Errors<'_>, kind: EntryKind, named: bool) {
    if kind.needs_counterparty()
        && !named
        && !e.list.iter().any(|f| f.field.contains("counterparty"))
    {
        e.push(
            "counterparty",
            "required",
            "a purchase or sale must name its counterparty",
        );
    } else if !matches!(
        kind,
        EntryKind::Purchase | EntryKind::Sale | EntryKind::Disposal
    ) && named
    {
        e.push(
            "counterparty",
            "not_allowed",
            "only purchases, sales and disposals name a counterparty",
        );
    }
}

/// A reversal, and only a reversal, names the entry it cancels.
fn parse_reverses(e: &mut Errors<'_>, text: Option<&str>, is_reversal: bool) -> Option<Uuid> {
    match text.map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) if is_reversal => Uuid::parse_str(text)
            .map_err(|_| e.push("reverses", "invalid_id", "is not an entry id"))
            .ok(),
        Some(_) => {
            e.push(
                "reverses",
                "not_allowed",
                "only a reversal names the entry it cancels",
            );
            None
        }
        None if is_reversal => {
            e.push(
                "reverses",
                "required",
                "a reversal names the entry it cancels",
            );
            None
        }
        None => None,
    }
}

/// A sale or purchase says how it was paid; nothing else does.
fn parse_payment(
    e: &mut Errors<'_>,
    text: Option<&str>,
    kind: Option<EntryKind>,
) -> Option<Payment> {
    let paid = kind.is_some_and(EntryKind::needs_counterparty);
    match text.map(str::trim).filter(|p| !p.is_empty()) {
        None if paid => {
            e.push(
                "payment",
                "required",
                format!(
                    "a purchase or sale says how it was paid: {}",
                    Payment::names()
                ),
            );
            None
        }
        None => None,
        Some(_) if !paid && kind.is_some() => {
            e.push(
                "payment",
                "not_allowed",
                "only purchases and sales say how they were paid",
            );
            None
        }
        Some(text) => Payment::parse(text).or_else(|| {
            let message = format!("must be one of {}", Payment::names());
            e.push("payment", "unknown_payment", message);
            None
        }),
    }
}

fn parse_counterparty(
    c: &CounterpartyRequest,
    e: &mut Errors<'_>,
    today: chrono::NaiveDate,
) -> Option<Counterparty> {
    let name = e.text("counterparty.name", &c.name, 200);
    let permit_no = e.text("counterparty.permit_no", &c.permit_no, MAX_CODE);
    let code_text = e.text("counterparty.credit_code", &c.credit_code, MAX_CODE);
    let resident_text = e.text("counterparty.resident_id", &c.resident_id, MAX_CODE);
    let firm_id = c
        .firm_id
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let given = name.is_some() || permit_no.is_some() || code_text.is_some();
    match c.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None | Some("organization") => {}
        Some("individual") if firm_id.is_none() => {
            return parse_individual(e, name, code_text, resident_text, permit_no, today);
        }
        Some("individual") => {
            e.push(
                "counterparty.kind",
                "ambiguous_counterparty",
                "a registered firm is not an individual",
            );
            return None;
        }
        Some(_) => {
            e.push(
                "counterparty.kind",
                "unknown_counterparty_kind",
                "must be organization or individual",
            );
            return None;
        }
    }
    if resident_text.is_some() {
        e.push(
            "counterparty.resident_id",
            "not_allowed",
            "only an individual (kind individual) has a resident ID number",
        );
        return None;
    }
    match firm_id {
        Some(_) if given => {
            e.push(
                "counterparty",
                "ambiguous_counterparty",
                "give either firm_id (a registered firm) or name, credit_code and permit_no",
            );
            None
        }
        Some(text) => match Uuid::parse_str(text) {
            Ok(id) => Some(Counterparty::Registered(id)),
            Err(_) => {
                e.push("counterparty.firm_id", "invalid_id", "is not a firm id");
                None
            }
        },
        None if !given => None,
        None => {
            let credit_code = match code_text {
                Some(text) => match CreditCode::parse(&text) {
                    Ok(code) => Some(code),
                    Err(err) => {
                        e.push("counterparty.credit_code", err.code(), err.to_string());
                        return None;
                    }
                },
                None => None,
            };
            Some(Counterparty::External {
                name,
                credit_code,
                permit_no,
            })
        }
    }
}

/// A person: name and resident ID number required, no credit code.
fn parse_individual(
    e: &mut Errors<'_>,
    name: Option<String>,
    code_text: Option<String>,
    resident_text: Option<String>,
    permit_no: Option<String>,
    today: chrono::NaiveDate,
) -> Option<Counterparty> {
    if code_text.is_some() {
        e.push(
            "counterparty.credit_code",
            "not_allowed",
            "a person has no unified social credit code",
        );
    }
    if name.is_none() {
        e.push("counterparty.name", "required", "an individual is named");
    }
    let resident_id = match resident_text {
        None => {
            e.push(
                "counterparty.resident_id",
                "required",
                "an individual is identified by the resident ID number",
            );
            None
        }
        Some(text) => ResidentId::parse(&text, today)
            .map_err(|err| e.push("counterparty.resident_id", err.code(), err.to_string()))
            .ok(),
    };
    Some(Counterparty::Individual {
        name: name?,
        resident_id: resident_id?,
        permit_no,
    })
    .filter(|_| code_text.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    fn sale() -> EntryRequest {
        EntryRequest {
            kind: "sale".into(),
            chemical_id: Some(Uuid::now_v7().to_string()),
            lot: Some("L1".into()),
            quantity: Some("250.5".into()),
            occurred_at: Some("2026-05-31T08:30:00+08:00".into()),
            counterparty: Some(CounterpartyRequest {
                firm_id: Some(Uuid::now_v7().to_string()),
                ..Default::default()
            }),
            payment: Some("bank_transfer".into()),
            ..Default::default()
        }
    }

    fn codes(r: &EntryRequest) -> Vec<(String, &'static str)> {
        match r.parse("", now(), OccurredAtFloor::default()) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    #[test]
    fn a_good_sale_parses_into_utc() {
        let entry = sale().parse("", now(), OccurredAtFloor::default()).unwrap();
        assert_eq!(entry.quantity.unwrap().thousandths(), 250_500);
        assert_eq!(entry.occurred_at.to_rfc3339(), "2026-05-31T00:30:00+00:00");
    }

    #[test]
    fn each_rule_has_its_code() {
        let mut r = sale();
        r.quantity = Some("0".into());
        assert_eq!(codes(&r), [("quantity".into(), "zero_quantity")]);
        r.kind = "stocktake".into();
        r.counterparty = None;
        assert_eq!(codes(&r), [("payment".into(), "not_allowed")]);
        r.payment = None;
        assert_eq!(codes(&r), []);
        let mut r = sale();
        r.counterparty = None;
        assert_eq!(codes(&r), [("counterparty".into(), "required")]);
        let mut r = sale();
        r.kind = "loss".into();
        r.counterparty = None;
        r.payment = None;
        assert_eq!(codes(&r), [("note".into(), "loss_reason_required")]);
        let mut r = sale();
        r.occurred_at = Some("2026-06-01T00:06:00Z".into());
        assert_eq!(codes(&r), [("occurred_at".into(), "in_future")]);
        r.occurred_at = Some("2026-06-01T00:04:59Z".into());
        assert_eq!(codes(&r), []);
        r.occurred_at = Some("2026-06-01 00:00".into());
        assert_eq!(codes(&r), [("occurred_at".into(), "invalid_time")]);
        for early in [
            "0000-01-01T00:00:00Z",
            "1999-12-31T23:59:59.999999Z",
            "2000-01-01T07:59:59+08:00",
        ] {
            r.occurred_at = Some(early.into());
            assert_eq!(codes(&r), [("occurred_at".into(), "too_early")], "{early}");
        }
        r.occurred_at = Some(EARLIEST_OCCURRED_AT.into());
        assert_eq!(codes(&r), []);
        let mut r = sale();
        r.quantity = Some("1.0001".into());
        assert_eq!(codes(&r), [("quantity".into(), "too_many_decimals")]);
    }

    #[test]
    fn the_floor_is_what_it_says() {
        let floor: DateTime<Utc> = EARLIEST_OCCURRED_AT.parse().unwrap();
        assert_eq!(OccurredAtFloor::default().0, floor);
        assert_eq!(OccurredAtFloor::default().shown(), EARLIEST_OCCURRED_AT);
    }

    #[test]
    fn a_deployment_s_floor_is_kept_on_both_sides() {
        let floor = OccurredAtFloor::parse("2024-12-01").unwrap();
        assert_eq!(floor.shown(), "2024-12-01T00:00:00Z");
        let mut r = sale();
        r.occurred_at = Some("2024-11-30T23:59:59.999999Z".into());
        match r.parse("", now(), floor) {
            Err(errors) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].code, "too_early");
                assert!(errors[0].message.contains("2024-12-01T00:00:00Z"));
            }
            Ok(_) => panic!("an entry before the floor was accepted"),
        }
        r.occurred_at = Some("2024-12-01T08:00:00+08:00".into());
        assert!(r.parse("", now(), floor).is_ok());
        assert!(OccurredAtFloor::parse("yesterday").is_err());
        assert_eq!(
            OccurredAtFloor::parse("2024-12-01T08:00:00+08:00").unwrap(),
            floor
        );
    }

    #[test]
    fn a_reversal_carries_only_its_target() {
        let target = Uuid::now_v7();
        let r = EntryRequest {
            kind: "reversal".into(),
            reverses: Some(target.to_string()),
            occurred_at: Some("2026-05-31T00:00:00Z".into()),
            note: Some("录入错误".into()),
            ..Default::default()
        };
        assert_eq!(
            r.parse("", now(), OccurredAtFloor::default())
                .unwrap()
                .reverses,
            Some(target)
        );
        let mut moving = r.clone();
        moving.quantity = Some("5".into());
        assert_eq!(
            codes(&moving),
            [("quantity".into(), "not_allowed_for_reversal")]
        );
        let mut no_target = r.clone();
        no_target.reverses = None;
        assert_eq!(codes(&no_target), [("reverses".into(), "required")]);
    }

    #[test]
    fn batch_prefixes_name_the_item() {
        let mut r = sale();
        r.kind = "gift".into();
        let errors = r
            .parse("entries[7].", now(), OccurredAtFloor::default())
            .unwrap_err();
        assert_eq!(errors[0].field, "entries[7].kind");
    }

    #[test]
    fn a_sale_or_purchase_says_how_it_was_paid() {
        let mut r = sale();
        r.payment = None;
        assert_eq!(codes(&r), [("payment".into(), "required")]);
        r.payment = Some("bitcoin".into());
        assert_eq!(codes(&r), [("payment".into(), "unknown_payment")]);
        r.payment = Some("cash".into());
        assert_eq!(
            r.parse("", now(), OccurredAtFloor::default())
                .unwrap()
                .payment,
            Some(Payment::Cash)
        );
    }

    fn to_person(id: &str) -> EntryRequest {
        let mut r = sale();
        r.counterparty = Some(CounterpartyRequest {
            kind: Some("individual".into()),
            name: Some("张三".into()),
            resident_id: Some(id.into()),
            ..Default::default()
        });
        r
    }

    #[test]
    fn an_individual_is_named_and_identified_by_a_valid_number() {
        let good = to_person("11010519491231002x")
            .parse("", now(), OccurredAtFloor::default())
            .unwrap();
        match good.counterparty {
            Some(Counterparty::Individual { resident_id, .. }) => {
                assert_eq!(resident_id.as_str(), "11010519491231002X")
            }
            other => panic!("{other:?}"),
        }
        let field = |f: &str| f.to_string();
        assert_eq!(
            codes(&to_person("110105194912310021")),
            [(
                field("counterparty.resident_id"),
                "invalid_resident_id_checksum"
            )]
        );
        let mut unnamed = to_person("11010519491231002X");
        unnamed.counterparty.as_mut().unwrap().name = None;
        assert_eq!(codes(&unnamed), [(field("counterparty.name"), "required")]);
        let mut with_code = to_person("11010519491231002X");
        with_code.counterparty.as_mut().unwrap().credit_code = Some("91350100M000100Y43".into());
        assert_eq!(
            codes(&with_code),
            [(field("counterparty.credit_code"), "not_allowed")]
        );
        let mut organization = sale();
        organization.counterparty = Some(CounterpartyRequest {
            name: Some("某公司".into()),
            resident_id: Some("11010519491231002X".into()),
            ..Default::default()
        });
        assert_eq!(
            codes(&organization),
            [(field("counterparty.resident_id"), "not_allowed")]
        );
    }
}
