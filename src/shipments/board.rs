//! The regulators' in-transit board: every dispatch between registered firms with its live
//! state, read through the same matching as the inbox. Matching a province takes a while, so
//! one computed board is shared for up to `max_age` (a deployment setting; the answer says when
//! it was computed).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::live::{self, ShipmentState};
use super::store::{self, Side};
use super::views::{self, ShipmentView};
use crate::auth::{policy, Principal};
use crate::db::{Db, DbConnection};
use crate::domain::{time, CustodyRules, RegionCode};
use crate::error::{AppError, FieldError};
use crate::paging::{Filters, Page};

/// One board, computed at `at`.
struct Computed {
    at: DateTime<Utc>,
    fresh_until: Instant,
    rows: Arc<Vec<Row>>,
}

/// A shipment on the board, with the regions of both ends for the filters.
#[derive(Debug, Clone)]
struct Row {
    view: ShipmentView,
    seller_region: String,
    buyer_region: String,
}

/// The board shared by every request of one server (app data). A board younger than `max_age`
/// is served as it is; one older, but younger than `STALE_FACTOR × max_age`, is served too
/// while a background thread computes the next one (so a regulator who looks every few seconds
/// never waits for a province's matching); anything older is computed before answering.
pub struct BoardCache {
    max_age: Duration,
    computed: Arc<Mutex<Option<Computed>>>,
    refreshing: Arc<AtomicBool>,
    /// Where the background refresh takes its connection; none: always compute in the request.
    db: Option<Db>,
}

/// How many `max_age`s a board may be served while its successor is computed.
const STALE_FACTOR: u32 = 15;

impl BoardCache {
    pub fn new(max_age: Duration, db: Option<Db>) -> BoardCache {
        BoardCache {
            max_age,
            computed: Arc::new(Mutex::new(None)),
            refreshing: Arc::new(AtomicBool::new(false)),
            db,
        }
    }

    fn rows(
        &self,
        conn: &mut DbConnection,
        rules: &CustodyRules,
    ) -> Result<(DateTime<Utc>, Arc<Vec<Row>>), AppError> {
        if let Some(c) = self.computed.lock().map_err(poisoned)?.as_ref() {
            let now = Instant::now();
            if now < c.fresh_until {
                return Ok((c.at, c.rows.clone()));
            }
            let usable_until = c.fresh_until + self.max_age * (STALE_FACTOR - 1);
            if now < usable_until && self.refresh_in_background(rules) {
                return Ok((c.at, c.rows.clone()));
            }
        }
        self.recompute(conn, rules)
    }

    /// Starts one background computation (unless one runs); false if it could not start.
    fn refresh_in_background(&self, rules: &CustodyRules) -> bool {
        let Some(db) = self.db.clone() else {
            return false;
        };
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return true;
        }
        let (computed, refreshing, max_age, rules) = (
            self.computed.clone(),
            self.refreshing.clone(),
            self.max_age,
            *rules,
        );
        let started = std::thread::Builder::new()
            .name("board-refresh".into())
            .spawn(move || {
                let outcome = db.get().and_then(|mut conn| {
                    store_computed(&computed, max_age, &mut conn, &rules).map(|_| ())
                });
                if let Err(e) = outcome {
                    tracing::error!(target: "precursor_registry", error = %e, "could not refresh the in-transit board");
                }
                refreshing.store(false, Ordering::Release);
            });
        if started.is_err() {
            self.refreshing.store(false, Ordering::Release);
        }
        started.is_ok()
    }

    fn recompute(
        &self,
        conn: &mut DbConnection,
        rules: &CustodyRules,
    ) -> Result<(DateTime<Utc>, Arc<Vec<Row>>), AppError> {
        store_computed(&self.computed, self.max_age, conn, rules)
    }
}

/// Computes the board now and keeps it (two computations at once: the later one is kept).
fn store_computed(
    computed: &Mutex<Option<Computed>>,
    max_age: Duration,
    conn: &mut DbConnection,
    rules: &CustodyRules,
) -> Result<(DateTime<Utc>, Arc<Vec<Row>>), AppError> {
    let started = Instant::now();
    let at = time::from_db(time::now());
    let rows = Arc::new(compute(conn, rules, at)?);
    *computed.lock().map_err(poisoned)? = Some(Computed {
        at,
        fresh_until: started + max_age,
        rows: rows.clone(),
    });
    Ok((at, rows))
}

fn poisoned<T>(_: T) -> AppError {
    AppError::internal("the board cache lock was poisoned")
}

fn compute(
    conn: &mut DbConnection,
    rules: &CustodyRules,
    at: DateTime<Utc>,
) -> Result<Vec<Row>, AppError> {
    let (loaded, regions) = crate::db::read_snapshot(conn, |conn| {
        Ok((store::load_all(conn)?, store::firm_regions(conn)?))
    })?;
    let rules = CustodyRules {
        as_of: at,
        ..*rules
    };
    let shipments = live::live(&loaded.input, &rules);
    let rendered = views::render(conn, shipments, &loaded, Side::Seller, at)?;
    let region = |id: &str| regions.get(id).cloned().unwrap_or_default();
    let mut rows: Vec<Row> = rendered
        .into_iter()
        .map(|view| Row {
            seller_region: region(&view.seller.id),
            buyer_region: region(&view.buyer.id),
            view,
        })
        .collect();
    // Newest dispatch first (ids are UUIDv7, so in filing order).
    rows.sort_by(|a, b| b.view.dispatch_id.cmp(&a.view.dispatch_id));
    Ok(rows)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// awaiting, overdue, received, quantity_differs, refused or returned; default all.
    #[param(schema_with = board_status)]
    pub status: Option<String>,
    /// A province, city or county code: shipments with either end inside it.
    #[param(schema_with = crate::paging::schema::region_code)]
    pub region_code: Option<String>,
    #[param(schema_with = crate::paging::schema::id)]
    pub chemical_id: Option<String>,
    /// Dispatched at or after (RFC 3339).
    #[param(schema_with = crate::paging::schema::time)]
    pub from: Option<String>,
    /// Dispatched before (RFC 3339).
    #[param(schema_with = crate::paging::schema::time)]
    pub to: Option<String>,
}

/// A board query, parsed.
struct Filter {
    status: Option<ShipmentState>,
    region: Option<RegionCode>,
    chemical_id: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl BoardQuery {
    fn parse(&self) -> Result<Filter, AppError> {
        let mut filters = Filters::default();
        let status = filters.named(
            "status",
            &self.status,
            |s| ShipmentState::parse(s).is_some(),
            "unknown_status",
            "must be awaiting, overdue, received, quantity_differs, refused or returned",
        );
        let chemical_id = filters.id("chemical_id", &self.chemical_id, "is not a chemical id");
        let from = filters.time("from", &self.from);
        let to = filters.time("to", &self.to);
        let region = Filters::text(&self.region_code).map(|r| RegionCode::parse(&r));
        let region_error = match &region {
            Some(Err(e)) => Some(FieldError::new("region_code", e.code(), e.to_string())),
            _ => None,
        };
        let mut result = filters.check();
        if let Some(e) = region_error {
            result = match result {
                Err(AppError::Validation(mut errors)) => {
                    errors.push(e);
                    Err(AppError::Validation(errors))
                }
                _ => Err(AppError::Validation(vec![e])),
            };
        }
        result?;
        Ok(Filter {
            status: status.as_deref().and_then(ShipmentState::parse),
            region: region.and_then(Result::ok),
            chemical_id,
            from,
            to,
        })
    }
}

impl Filter {
    fn keeps(&self, row: &Row) -> bool {
        let v = &row.view;
        self.status.is_none_or(|s| v.status == s)
            && self
                .region
                .as_ref()
                .is_none_or(|r| r.contains(&row.seller_region) || r.contains(&row.buyer_region))
            && self
                .chemical_id
                .as_ref()
                .is_none_or(|c| *c == v.chemical_id)
            && self.from.is_none_or(|t| v.dispatched_at >= t)
            && self.to.is_none_or(|t| v.dispatched_at < t)
    }
}

/// A page of the board.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BoardPage {
    /// When the board was computed (it is shared for a moment between requests).
    pub as_of: DateTime<Utc>,
    pub items: Vec<ShipmentView>,
    pub next_cursor: Option<String>,
}

/// `GET /shipments` (regulators).
pub fn board(
    conn: &mut DbConnection,
    who: &Principal,
    query: &BoardQuery,
    page: Page,
    cache: &BoardCache,
    rules: &CustodyRules,
) -> Result<BoardPage, AppError> {
    policy::watch_shipments(who)?;
    let filter = query.parse()?;
    let (as_of, rows) = cache.rows(conn, rules)?;
    let after = page.after.map(|a| a.to_string());
    let mut items: Vec<ShipmentView> = rows
        .iter()
        .filter(|r| after.as_ref().is_none_or(|a| r.view.dispatch_id < *a) && filter.keeps(r))
        .take(page.fetch_limit() as usize)
        .map(|r| r.view.clone())
        .collect();
    let more = items.len() as i64 > page.limit;
    items.truncate(page.limit as usize);
    let next_cursor = more
        .then(|| items.last().map(|v| v.dispatch_id.clone()))
        .flatten();
    Ok(BoardPage {
        as_of,
        items,
        next_cursor,
    })
}

/// Counts of one region (the seller's) by state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionCount {
    pub region_code: String,
    pub by_status: BTreeMap<ShipmentState, u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BoardSummary {
    pub as_of: DateTime<Utc>,
    pub by_status: BTreeMap<ShipmentState, u64>,
    /// By the seller's region code.
    pub by_region: Vec<RegionCount>,
}

/// `GET /shipments/summary` (regulators): the board's counts under the same filters.
pub fn summary(
    conn: &mut DbConnection,
    who: &Principal,
    query: &BoardQuery,
    cache: &BoardCache,
    rules: &CustodyRules,
) -> Result<BoardSummary, AppError> {
    policy::watch_shipments(who)?;
    let filter = query.parse()?;
    let (as_of, rows) = cache.rows(conn, rules)?;
    let mut by_status = BTreeMap::new();
    let mut by_region: HashMap<&str, BTreeMap<ShipmentState, u64>> = HashMap::new();
    for r in rows.iter().filter(|r| filter.keeps(r)) {
        *by_status.entry(r.view.status).or_default() += 1;
        *by_region
            .entry(&r.seller_region)
            .or_default()
            .entry(r.view.status)
            .or_default() += 1;
    }
    let mut by_region: Vec<RegionCount> = by_region
        .into_iter()
        .map(|(region, by_status)| RegionCount {
            region_code: region.to_string(),
            by_status,
        })
        .collect();
    by_region.sort_by(|a, b| a.region_code.cmp(&b.region_code));
    Ok(BoardSummary {
        as_of,
        by_status,
        by_region,
    })
}

fn board_status() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&[
        "awaiting",
        "overdue",
        "received",
        "quantity_differs",
        "refused",
        "returned",
    ])
}
