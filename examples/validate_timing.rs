//! Scratch harness: pure custody validation time over a cached province DB.
use precursor_registry::custody;
use precursor_registry::db::{DatabaseUrl, Db};
use precursor_registry::demo::{self, DemoOptions};
use precursor_registry::domain::CustodyRules;
use std::time::Instant;

fn main() {
    let path = std::env::var("PROVINCE").unwrap_or("/tmp/speed-province.db".into());
    let months: u32 = std::env::var("MONTHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let db = Db::connect(&DatabaseUrl::Sqlite(path.clone().into()), 1).unwrap();
    let mut conn = db.get().unwrap();
    if months > 0 {
        precursor_registry::chemicals::seed::seed_if_empty(&mut conn).unwrap();
        let r = demo::generate(
            &mut conn,
            &DemoOptions {
                firms: 2000,
                months,
                ..DemoOptions::default()
            },
        )
        .unwrap();
        println!("generated {} entries", r.entries);
        return;
    }
    let settings = CustodyRules::defaults(chrono::Utc::now());
    let t = Instant::now();
    let input = custody::store::load_input(&mut conn, settings.thresholds).unwrap();
    println!("load {} ms", t.elapsed().as_millis());
    let mut best = u128::MAX;
    let mut digest = 0u64;
    for _ in 0..5 {
        let t = Instant::now();
        let f = custody::validate(&input, &settings);
        let ms = t.elapsed().as_millis();
        best = best.min(ms);
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        format!("{f:?}").hash(&mut h);
        digest = h.finish();
        println!("validate {ms} ms, {} findings, digest {digest:x}", f.len());
    }
    println!("best {best} ms digest {digest:x}");
}
