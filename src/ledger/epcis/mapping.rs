//! EPCIS 2.0 events from ledger entries and ledger entries from EPCIS events (issue 14): plain
//! values, no I/O, no diesel. The table both ways is in docs/epcis.md; the caller resolves the
//! firm's GS1 names (`Naming` on the way out, `Lookup` on the way in).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::domain::gs1::Gs1Key;
use crate::domain::quantity::format_thousandths;
use crate::domain::{EntryKind, Quantity, Unit};

pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/// The registry's namespace for its extension fields (`prr:entry`, `prr:payment`, …).
pub const NS_PREFIX: &str = "prr";
pub const NS: &str = "urn:precursor-registry:epcis:";
/// A class of the registry's own where no GTIN is registered: `…:cas:64-17-5[:lot:L1]` or
/// `…:id:<catalog id>[:lot:L1]`.
pub const CLASS_URN: &str = "urn:precursor-registry:class:";
/// A registered firm without a party GLN.
pub const FIRM_URN: &str = "urn:precursor-registry:firm:";
/// An outside organization, by its unified social credit code.
pub const CREDIT_CODE_URN: &str = "urn:precursor-registry:credit-code:";
const SHIPMENT_URN: &str = "urn:precursor-registry:shipment:";
const PERMIT_URN: &str = "urn:precursor-registry:permit:";
const TRANSPORT_URN: &str = "urn:precursor-registry:transport-permit:";
pub const PERMIT_TYPE: &str = "urn:precursor-registry:btt:permit";
pub const TRANSPORT_TYPE: &str = "urn:precursor-registry:btt:transport_permit";
/// The offset an exported event states: the registry keeps UTC and serves China.
pub const TIME_ZONE_OFFSET: &str = "+08:00";

/// The UN/ECE Recommendation 20 code of a catalog unit.
pub fn uom(unit: Unit) -> &'static str {
    match unit {
        Unit::Kilogram => "KGM",
        Unit::Litre => "LTR",
    }
}

/// Rec 20 codes of mass and volume this registry knows but keeps in no catalog unit.
const OTHER_UOMS: &[&str] = &[
    "GRM", "MGM", "TNE", "DTN", "LBR", "ONZ", "MLT", "CLT", "DLT", "HLT", "MTQ", "CMQ", "DMQ",
    "GLL", "GLI", "QT", "PT",
];

/// Percent-encodes what a URN segment may not hold as it is (RFC 3986 unreserved stay).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`encode`]; `None` for a broken escape or bytes that are not UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The registry's own class of a chemical (by CAS number, else catalog id) and lot.
pub fn registry_class(cas: Option<&str>, chemical_id: &str, lot: Option<&str>) -> String {
    let chemical = match cas {
        Some(cas) => format!("cas:{cas}"),
        None => format!("id:{chemical_id}"),
    };
    match lot {
        Some(lot) => format!("{CLASS_URN}{chemical}:lot:{}", encode(lot)),
        None => format!("{CLASS_URN}{chemical}"),
    }
}

/// One entry with everything its event states, resolved by the caller.
#[derive(Debug, Clone)]
pub struct EntryFacts {
    pub id: String,
    pub firm_id: String,
    pub seq: i64,
    pub hash: String,
    pub kind: EntryKind,
    /// The epcClass: the firm's LGTIN or GTIN class where registered, else [`registry_class`].
    pub class: String,
    pub unit: Unit,
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The site (SGLN) of the entry's warehouse, where registered.
    pub location: Option<String>,
    /// The firm's own party (PGLN, or its registry URN).
    pub own_party: String,
    /// The counterparty's party name: its PGLN or registry URN when registered.
    pub counterparty_party: Option<String>,
    /// The counterparty as the ledger keeps it (the entry request's shape).
    pub counterparty: Option<Value>,
    pub payment: Option<String>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A stable event id of an entry: its UUID.
pub fn event_id(entry_id: &str) -> String {
    format!("urn:uuid:{entry_id}")
}

/// The event of an entry; `None` for a reversal, which is its target's event declared in error
/// ([`declared_in_error`]).
pub fn event(f: &EntryFacts) -> Option<Value> {
    let mut e = Map::new();
    let (kind, action, step, disposition) = match f.kind {
        EntryKind::Production => ("ObjectEvent", Some("ADD"), "commissioning", "active"),
        EntryKind::Sale => ("ObjectEvent", Some("OBSERVE"), "shipping", "in_transit"),
        EntryKind::Purchase => ("ObjectEvent", Some("OBSERVE"), "receiving", "in_progress"),
        EntryKind::Consumption => ("TransformationEvent", None, "commissioning", "active"),
        EntryKind::Loss => ("ObjectEvent", Some("DELETE"), "removing", "unknown"),
        EntryKind::Disposal => ("ObjectEvent", Some("DELETE"), "destroying", "destroyed"),
        EntryKind::Stocktake => ("ObjectEvent", Some("OBSERVE"), "stock_taking", "active"),
        EntryKind::Reversal => return None,
    };
    e.insert("type".into(), json!(kind));
    e.insert("eventID".into(), json!(event_id(&f.id)));
    e.insert("eventTime".into(), json!(time_text(f.occurred_at)));
    e.insert("recordTime".into(), json!(time_text(f.recorded_at)));
    e.insert("eventTimeZoneOffset".into(), json!(TIME_ZONE_OFFSET));
    let quantity = json!([{
        "epcClass": f.class,
        "quantity": quantity_number(f.quantity),
        "uom": uom(f.unit),
    }]);
    if let Some(action) = action {
        e.insert("epcList".into(), json!([]));
        e.insert("action".into(), json!(action));
        e.insert("quantityList".into(), quantity);
    } else {
        // Inputs alone: EPCIS asks for a transformationID to tie them to their outputs.
        e.insert("inputQuantityList".into(), quantity);
        e.insert(
            "transformationID".into(),
            json!(format!("urn:precursor-registry:transformation:{}", f.id)),
        );
    }
    e.insert("bizStep".into(), json!(step));
    e.insert("disposition".into(), json!(disposition));
    if let Some(location) = &f.location {
        e.insert("readPoint".into(), json!({ "id": location }));
        e.insert("bizLocation".into(), json!({ "id": location }));
    }
    let transactions = transactions(f);
    if !transactions.is_empty() {
        e.insert("bizTransactionList".into(), Value::Array(transactions));
    }
    let (sources, destinations) = parties(f);
    if !sources.is_empty() {
        e.insert("sourceList".into(), Value::Array(sources));
    }
    if !destinations.is_empty() {
        e.insert("destinationList".into(), Value::Array(destinations));
    }
    extensions(f, &mut e);
    Some(Value::Object(e))
}

/// The event of the entry a reversal cancels, declared in error at the reversal's time
/// (EPCIS 2.0 §7.4.1.2: the same event, its eventID kept, with an errorDeclaration).
pub fn declared_in_error(target: &EntryFacts, reversal: &EntryFacts) -> Option<Value> {
    let mut e = event(target)?;
    let mut declaration = Map::new();
    declaration.insert(
        "declarationTime".into(),
        json!(time_text(reversal.occurred_at)),
    );
    declaration.insert("reason".into(), json!("incorrect_data"));
    declaration.insert(
        format!("{NS_PREFIX}:entry"),
        json!({"id": reversal.id, "firm_id": reversal.firm_id, "seq": reversal.seq, "hash": reversal.hash}),
    );
    if let Some(note) = &reversal.note {
        declaration.insert(format!("{NS_PREFIX}:note"), json!(note));
    }
    if let Value::Object(map) = &mut e {
        map.insert("recordTime".into(), json!(time_text(reversal.recorded_at)));
        map.insert("errorDeclaration".into(), Value::Object(declaration));
    }
    Some(e)
}

/// A quantity in thousandths as a JSON number (exact: thousandths below 2^53 print as given).
fn quantity_number(thousandths: i64) -> Value {
    let text = format_thousandths(thousandths);
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Value::Number)
        .unwrap_or_else(|_| json!(thousandths as f64 / 1000.0))
}

fn transactions(f: &EntryFacts) -> Vec<Value> {
    let mut list = Vec::new();
    if let Some(s) = &f.shipment_ref {
        let value = format!("{SHIPMENT_URN}{}", encode(s));
        list.push(json!({"type": "desadv", "bizTransaction": value}));
    }
    if let Some(p) = &f.permit_no {
        let value = format!("{PERMIT_URN}{}", encode(p));
        list.push(json!({"type": PERMIT_TYPE, "bizTransaction": value}));
    }
    if let Some(p) = &f.transport_permit_no {
        let value = format!("{TRANSPORT_URN}{}", encode(p));
        list.push(json!({"type": TRANSPORT_TYPE, "bizTransaction": value}));
    }
    list
}

/// Who the stock came from and went to: the firm and its counterparty as owning parties.
fn parties(f: &EntryFacts) -> (Vec<Value>, Vec<Value>) {
    let own = json!({"type": "owning_party", "source": f.own_party});
    let other = f.counterparty_party.as_deref();
    match (f.kind, other) {
        (EntryKind::Sale, Some(other)) => (
            vec![own],
            vec![json!({"type": "owning_party", "destination": other})],
        ),
        (EntryKind::Purchase, Some(other)) => (
            vec![json!({"type": "owning_party", "source": other})],
            vec![json!({"type": "owning_party", "destination": f.own_party})],
        ),
        _ => (Vec::new(), Vec::new()),
    }
}

fn extensions(f: &EntryFacts, e: &mut Map<String, Value>) {
    let key = |name: &str| format!("{NS_PREFIX}:{name}");
    e.insert(
        key("entry"),
        json!({"id": f.id, "firm_id": f.firm_id, "seq": f.seq, "hash": f.hash}),
    );
    let texts = [
        ("payment", &f.payment),
        ("warehouse", &f.warehouse),
        ("note", &f.note),
    ];
    for (name, value) in texts {
        if let Some(v) = value {
            e.insert(key(name), json!(v));
        }
    }
    if let Some(c) = &f.counterparty {
        e.insert(key("counterparty"), c.clone());
    }
}

/// An EPCIS document around `events`, created at `now`.
pub fn document(events: Vec<Value>, now: DateTime<Utc>) -> Value {
    json!({
        "@context": [EPCIS_CONTEXT, { NS_PREFIX: NS }],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": time_text(now),
        "epcisBody": { "eventList": events },
    })
}

// ---------------------------------------------------------------------------------------------
// Import: an event read into entries.

/// What the caller knows to read events of one firm with.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The firm's product registrations: Digital Link of a GTIN or of a GTIN's lot → chemical id.
    pub products: HashMap<String, String>,
    /// The firm's sites: Digital Link → warehouse.
    pub sites: HashMap<String, String>,
    /// GLN (13 digits) of any firm's party or site → that firm's id.
    pub parties: HashMap<String, String>,
    /// Catalog: CAS number → chemical id, the ids themselves, and each chemical's unit.
    pub cas: HashMap<String, String>,
    pub chemicals: HashSet<String>,
    pub units: HashMap<String, Unit>,
}

/// A problem of one event, named by its JSON pointer in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub code: &'static str,
    pub message: String,
}

/// One entry an event files, in the entry request's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub kind: EntryKind,
    pub chemical_id: String,
    pub lot: Option<String>,
    pub quantity: String,
    pub occurred_at: DateTime<Utc>,
    pub counterparty: Option<Value>,
    pub payment: Option<String>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
}

/// How one event reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Entries to file (one per precursor quantity), and the quantities of classes the firm
    /// has not registered, which are not precursors of its and are left out.
    Entries {
        drafts: Vec<Draft>,
        ignored: Vec<Problem>,
    },
    /// An error declaration: the entries filed from `event_id` are to be reversed.
    Correction {
        event_id: String,
        declared_at: DateTime<Utc>,
        note: Option<String>,
    },
    Unmappable(Vec<Problem>),
}

fn problem(pointer: &str, code: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.to_string(),
        code,
        message: message.into(),
    }
}

/// A CBV value with its long forms cut to the bare word.
fn cbv_word<'a>(value: Option<&'a Value>, kind: &str) -> Option<&'a str> {
    let text = value?.as_str()?;
    let long = [
        format!("https://ref.gs1.org/cbv/{kind}-"),
        format!("urn:epcglobal:cbv:{}:", kind.to_lowercase()),
    ];
    Some(
        long.iter()
            .find_map(|p| text.strip_prefix(p.as_str()))
            .unwrap_or(text),
    )
}

/// The event's time in UTC.
fn event_time(e: &Value, at: &str) -> Result<DateTime<Utc>, Problem> {
    let text = e.get("eventTime").and_then(Value::as_str).unwrap_or("");
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            problem(
                &format!("{at}/eventTime"),
                "invalid_time",
                "is not an RFC 3339 time",
            )
        })
}

/// Reads event `e` at pointer `at` (e.g. `/epcisBody/eventList/3`).
pub fn read_event(e: &Value, at: &str, lookup: &Lookup) -> Reading {
    if let Some(declaration) = e.get("errorDeclaration") {
        return read_correction(e, declaration, at);
    }
    let kind = e.get("type").and_then(Value::as_str).unwrap_or("");
    let step = cbv_word(e.get("bizStep"), "BizStep");
    let action = e.get("action").and_then(Value::as_str);
    let disposition = cbv_word(e.get("disposition"), "Disp");
    let targets: Vec<(EntryKind, &str)> = match (kind, action, step, disposition) {
        ("TransformationEvent", ..) => vec![
            (EntryKind::Consumption, "inputQuantityList"),
            (EntryKind::Production, "outputQuantityList"),
        ],
        ("ObjectEvent", _, Some("destroying"), _)
        | ("ObjectEvent", _, _, Some("destroyed" | "disposed")) => {
            vec![(EntryKind::Disposal, "quantityList")]
        }
        ("ObjectEvent", Some("DELETE"), Some("removing"), _)
        | ("ObjectEvent", _, _, Some("stolen")) => {
            vec![(EntryKind::Loss, "quantityList")]
        }
        ("ObjectEvent", Some("ADD"), Some("commissioning"), _) => {
            vec![(EntryKind::Production, "quantityList")]
        }
        ("ObjectEvent", _, Some("shipping"), _) => vec![(EntryKind::Sale, "quantityList")],
        ("ObjectEvent", _, Some("receiving"), _) => vec![(EntryKind::Purchase, "quantityList")],
        ("ObjectEvent", _, Some("stock_taking" | "cycle_counting"), _) => {
            vec![(EntryKind::Stocktake, "quantityList")]
        }
        ("ObjectEvent", ..) => {
            let message = "no ledger entry is of this business step: commissioning (ADD), shipping, receiving, removing (DELETE), destroying, stock_taking or cycle_counting";
            return Reading::Unmappable(vec![problem(
                &format!("{at}/bizStep"),
                "unmapped_business_step",
                message,
            )]);
        }
        (other, ..) => {
            let message = format!("a {other} moves no stock in the ledger: ObjectEvents and TransformationEvents are filed");
            return Reading::Unmappable(vec![problem(
                &format!("{at}/type"),
                "unmapped_event_type",
                message,
            )]);
        }
    };
    read_movement(e, at, &targets, lookup)
}

fn read_correction(e: &Value, declaration: &Value, at: &str) -> Reading {
    let Some(event_id) = e.get("eventID").and_then(Value::as_str) else {
        let message = "an error declaration names the event it corrects by its eventID";
        return Reading::Unmappable(vec![problem(&format!("{at}/eventID"), "required", message)]);
    };
    let text = declaration
        .get("declarationTime")
        .and_then(Value::as_str)
        .unwrap_or("");
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Reading::Correction {
            event_id: event_id.to_string(),
            declared_at: t.with_timezone(&Utc),
            note: declaration
                .get(format!("{NS_PREFIX}:note"))
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        Err(_) => Reading::Unmappable(vec![problem(
            &format!("{at}/errorDeclaration/declarationTime"),
            "invalid_time",
            "is not an RFC 3339 time",
        )]),
    }
}

/// The fields every entry of one event shares.
struct Shared {
    occurred_at: DateTime<Utc>,
    warehouse: Option<String>,
    payment: Option<String>,
    note: Option<String>,
    shipment_ref: Option<String>,
    permit_no: Option<String>,
    transport_permit_no: Option<String>,
}

fn read_movement(e: &Value, at: &str, targets: &[(EntryKind, &str)], lookup: &Lookup) -> Reading {
    let quantities = targets
        .iter()
        .filter_map(|(_, list)| e.get(*list).and_then(Value::as_array))
        .map(Vec::len)
        .sum::<usize>();
    if quantities == 0 {
        let message = "states no quantity: the ledger keeps weights and volumes (quantityList with epcClass, quantity and uom), not instances";
        return Reading::Unmappable(vec![problem(at, "no_quantity", message)]);
    }
    let mut problems = Vec::new();
    let occurred_at = event_time(e, at).map_err(|p| problems.push(p)).ok();
    let warehouse = location(e, at, lookup)
        .map_err(|p| problems.push(p))
        .ok()
        .flatten();
    let (shipment_ref, permit_no, transport_permit_no) =
        business_transactions(e, at, &mut problems);
    let text = |name: &str| {
        e.get(format!("{NS_PREFIX}:{name}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut drafts = Vec::new();
    let mut ignored = Vec::new();
    for (kind, list) in targets {
        let Some(items) = e.get(*list).and_then(Value::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("{at}/{list}/{i}");
            match quantity_element(item, &pointer, lookup) {
                Element::Precursor {
                    chemical_id,
                    lot,
                    quantity,
                } => drafts.push((*kind, chemical_id, lot, quantity)),
                Element::NotRegistered(p) => ignored.push(p),
                Element::Bad(p) => problems.push(p),
            }
        }
    }
    if drafts.is_empty() && problems.is_empty() {
        problems.push(problem(
            at,
            "unknown_class",
            "no class of this event is registered by the firm as a chemical (POST /firms/{id}/gs1)",
        ));
        problems.append(&mut ignored);
    }
    let counterparty = drafts
        .first()
        .map(|(kind, ..)| counterparty(e, at, *kind, lookup))
        .transpose()
        .map_err(|p| problems.push(p))
        .ok()
        .flatten()
        .flatten();
    let payment = text("payment");
    if drafts.iter().any(|(k, ..)| k.needs_counterparty()) && payment.is_none() {
        let message = "EPCIS has no field for how a sale or purchase was paid: state it as prr:payment (bank_transfer, card, cheque, cash, barter or other)";
        problems.push(problem(
            &format!("{at}/{NS_PREFIX}:payment"),
            "payment_required",
            message,
        ));
    }
    let (Some(occurred_at), true) = (occurred_at, problems.is_empty()) else {
        return Reading::Unmappable(problems);
    };
    let shared = Shared {
        occurred_at,
        warehouse: warehouse.or_else(|| text("warehouse")),
        payment,
        note: text("note"),
        shipment_ref,
        permit_no,
        transport_permit_no,
    };
    let drafts = drafts
        .into_iter()
        .map(|(kind, chemical_id, lot, quantity)| Draft {
            kind,
            chemical_id,
            lot,
            quantity,
            occurred_at: shared.occurred_at,
            counterparty: counterparty.clone().filter(|_| kind.needs_counterparty()),
            payment: shared.payment.clone().filter(|_| kind.needs_counterparty()),
            shipment_ref: shared.shipment_ref.clone(),
            permit_no: shared.permit_no.clone(),
            transport_permit_no: shared.transport_permit_no.clone(),
            warehouse: shared.warehouse.clone(),
            note: shared.note.clone(),
        })
        .collect();
    Reading::Entries { drafts, ignored }
}

enum Element {
    Precursor {
        chemical_id: String,
        lot: Option<String>,
        quantity: String,
    },
    NotRegistered(Problem),
    Bad(Problem),
}

fn quantity_element(item: &Value, at: &str, lookup: &Lookup) -> Element {
    let class = item.get("epcClass").and_then(Value::as_str).unwrap_or("");
    let Some((chemical_id, lot)) = class_of(class, lookup) else {
        let message = format!("{class} is not a class the firm registered (POST /firms/{{id}}/gs1) nor a registry class of a catalog chemical");
        return Element::NotRegistered(problem(
            &format!("{at}/epcClass"),
            "unknown_class",
            message,
        ));
    };
    let unit = lookup
        .units
        .get(&chemical_id)
        .copied()
        .unwrap_or(Unit::Kilogram);
    let want = uom(unit);
    match item.get("uom").and_then(Value::as_str) {
        None => {
            let message = format!("a quantity without uom counts items; the ledger keeps this chemical in {unit}: give uom {want}");
            return Element::Bad(problem(&format!("{at}/uom"), "uom_required", message));
        }
        Some(u) if u == want => {}
        Some(u) if OTHER_UOMS.contains(&u) || u == "KGM" || u == "LTR" => {
            let message =
                format!("the ledger keeps this chemical in {unit}: give uom {want}, not {u}");
            return Element::Bad(problem(&format!("{at}/uom"), "wrong_uom", message));
        }
        Some(u) => {
            let message = format!("{u} is no UN/ECE Rec 20 unit of mass or volume this registry knows; this chemical is kept in {want}");
            return Element::Bad(problem(&format!("{at}/uom"), "unknown_uom", message));
        }
    }
    let number = match item.get("quantity") {
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            let message = "is required: a number, at most 3 decimal places, greater than 0";
            return Element::Bad(problem(&format!("{at}/quantity"), "required", message));
        }
    };
    match Quantity::parse(&number) {
        Ok(q) if !q.is_zero() => Element::Precursor {
            chemical_id,
            lot,
            quantity: format_thousandths(q.thousandths()),
        },
        Ok(_) => Element::Bad(problem(
            &format!("{at}/quantity"),
            "zero_quantity",
            "must be greater than 0",
        )),
        Err(err) => Element::Bad(problem(
            &format!("{at}/quantity"),
            err.code(),
            format!("{number}: {err}"),
        )),
    }
}

/// The chemical and lot of an epcClass: a product (or lot) the firm registered, or a registry
/// class of a catalog chemical.
fn class_of(class: &str, lookup: &Lookup) -> Option<(String, Option<String>)> {
    if let Some(rest) = class.strip_prefix(CLASS_URN) {
        let (chemical, lot) = match rest.split_once(":lot:") {
            Some((c, lot)) => (c, Some(decode(lot)?)),
            None => (rest, None),
        };
        let id = match chemical.split_once(':')? {
            ("cas", cas) => lookup.cas.get(cas)?.clone(),
            ("id", id) if lookup.chemicals.contains(id) => id.to_string(),
            _ => return None,
        };
        return Some((id, lot));
    }
    match Gs1Key::parse(class).ok()? {
        Gs1Key::Lot { gtin, lot } => {
            let exact = Gs1Key::Lot {
                gtin: gtin.clone(),
                lot: lot.clone(),
            }
            .to_link();
            let product = Gs1Key::Product { gtin }.to_link();
            let chemical = lookup
                .products
                .get(&exact)
                .or_else(|| lookup.products.get(&product))?;
            Some((chemical.clone(), Some(lot)))
        }
        key @ Gs1Key::Product { .. } => Some((lookup.products.get(&key.to_link())?.clone(), None)),
        _ => None,
    }
}

/// The warehouse of the event's business location (or read point): a site the firm registered.
fn location(e: &Value, at: &str, lookup: &Lookup) -> Result<Option<String>, Problem> {
    let (field, place) = match (e.pointer("/bizLocation/id"), e.pointer("/readPoint/id")) {
        (Some(p), _) => ("bizLocation", p),
        (None, Some(p)) => ("readPoint", p),
        (None, None) => return Ok(None),
    };
    let text = place.as_str().unwrap_or("");
    let site = Gs1Key::parse(text)
        .ok()
        .and_then(|k| lookup.sites.get(&k.to_link()));
    match site {
        Some(warehouse) => Ok(Some(warehouse.clone())),
        None => Err(problem(
            &format!("{at}/{field}/id"),
            "unknown_location",
            format!("{text} is not a site the firm registered (POST /firms/{{id}}/gs1, sites)"),
        )),
    }
}

/// Shipment reference (a despatch advice), permit and transport permit numbers.
fn business_transactions(
    e: &Value,
    at: &str,
    problems: &mut Vec<Problem>,
) -> (Option<String>, Option<String>, Option<String>) {
    let (mut shipment, mut permit, mut transport) = (None, None, None);
    let list = e.get("bizTransactionList").and_then(Value::as_array);
    for (i, t) in list.into_iter().flatten().enumerate() {
        let kind = cbv_word(t.get("type"), "BTT").unwrap_or("");
        let value = t
            .get("bizTransaction")
            .and_then(Value::as_str)
            .unwrap_or("");
        let ours = |prefix: &str| value.strip_prefix(prefix).map(decode);
        let slot = match kind {
            "desadv" => (
                &mut shipment,
                ours(SHIPMENT_URN).unwrap_or_else(|| Some(value.to_string())),
            ),
            PERMIT_TYPE => (
                &mut permit,
                ours(PERMIT_URN).unwrap_or_else(|| Some(value.to_string())),
            ),
            TRANSPORT_TYPE => (
                &mut transport,
                ours(TRANSPORT_URN).unwrap_or_else(|| Some(value.to_string())),
            ),
            _ => continue,
        };
        match slot {
            (place, Some(v)) if place.is_none() => *place = Some(v),
            (_, Some(_)) => problems.push(problem(
                &format!("{at}/bizTransactionList/{i}"),
                "repeated_transaction",
                "an entry holds one shipment reference, one permit and one transport permit",
            )),
            (_, None) => problems.push(problem(
                &format!("{at}/bizTransactionList/{i}/bizTransaction"),
                "invalid_escape",
                "is not percent-encoded UTF-8",
            )),
        }
    }
    (shipment, permit, transport)
}

/// The counterparty of a sale (its destination) or purchase (its source): the registry's
/// extension as it is, else the owning (or possessing) party's GLN of a registered firm.
fn counterparty(
    e: &Value,
    at: &str,
    kind: EntryKind,
    lookup: &Lookup,
) -> Result<Option<Value>, Problem> {
    if !kind.needs_counterparty() {
        return Ok(None);
    }
    if let Some(c) = e.get(format!("{NS_PREFIX}:counterparty")) {
        return Ok(Some(c.clone()));
    }
    let (list, field) = match kind {
        EntryKind::Sale => ("destinationList", "destination"),
        _ => ("sourceList", "source"),
    };
    let parties = e
        .get(list)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let of_type = |wanted: &str| {
        parties
            .iter()
            .enumerate()
            .find(|(_, p)| cbv_word(p.get("type"), "SDT") == Some(wanted))
    };
    let Some((i, party)) = of_type("owning_party").or_else(|| of_type("possessing_party")) else {
        let message = format!(
            "a {kind} names its counterparty: an owning_party in {list}, or prr:counterparty"
        );
        return Err(problem(
            &format!("{at}/{list}"),
            "counterparty_required",
            message,
        ));
    };
    let text = party.get(field).and_then(Value::as_str).unwrap_or("");
    let firm = match text.strip_prefix(FIRM_URN) {
        Some(id) => Some(id.to_string()),
        None => gln_of(text).and_then(|gln| lookup.parties.get(&gln).cloned()),
    };
    match firm {
        Some(firm_id) => Ok(Some(json!({ "firm_id": firm_id }))),
        None => Err(problem(
            &format!("{at}/{list}/{i}/{field}"),
            "unknown_party",
            format!("{text} is the GLN of no registered firm; name an outside party in prr:counterparty"),
        )),
    }
}

/// The GLN of a party or site key.
fn gln_of(text: &str) -> Option<String> {
    match Gs1Key::parse(text).ok()? {
        Gs1Key::Party { gln } | Gs1Key::Location { gln, .. } => Some(gln.as_str().to_string()),
        _ => None,
    }
}
