//! Request counts and latency, exposed in Prometheus text format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    /// (method, route pattern, status) → requests
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route pattern) → latency
    latency: BTreeMap<(String, String), Histogram>,
    /// Writes per group commit (`db::group`): how much each commit carries.
    group_sizes: GroupSizes,
}

/// Upper bounds of the group-size histogram's buckets.
const GROUP_BUCKETS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

#[derive(Default)]
struct GroupSizes {
    buckets: [u64; GROUP_BUCKETS.len()],
    count: u64,
    sum: u64,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let histogram = inner
            .latency
            .entry((method.to_string(), route.to_string()))
            .or_default();
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// One group commit of `writes` writes.
    pub fn observe_group(&self, writes: usize) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let sizes = &mut inner.group_sizes;
        for (bucket, bound) in sizes.buckets.iter_mut().zip(GROUP_BUCKETS) {
            if writes as u64 <= bound {
                *bucket += 1;
            }
        }
        sizes.count += 1;
        sizes.sum += writes as u64;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(inner) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP http_request_duration_seconds HTTP request latency by method and route.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((method, route), h) in &inner.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (bucket, bound) in h.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {bucket}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        render_group_sizes(&mut out, &inner.group_sizes);
        out
    }
}

fn render_group_sizes(out: &mut String, sizes: &GroupSizes) {
    out.push_str("# HELP ledger_group_commit_writes Filings committed together, per commit.\n");
    out.push_str("# TYPE ledger_group_commit_writes histogram\n");
    for (bucket, bound) in sizes.buckets.iter().zip(GROUP_BUCKETS) {
        let _ = writeln!(
            out,
            "ledger_group_commit_writes_bucket{{le=\"{bound}\"}} {bucket}"
        );
    }
    let _ = writeln!(
        out,
        "ledger_group_commit_writes_bucket{{le=\"+Inf\"}} {}",
        sizes.count
    );
    let _ = writeln!(out, "ledger_group_commit_writes_sum {}", sizes.sum);
    let _ = writeln!(out, "ledger_group_commit_writes_count {}", sizes.count);
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("GET", "/api/v1/firms", 200, Duration::from_millis(3));
        m.record("GET", "/api/v1/firms", 200, Duration::from_millis(30));
        m.record("GET", "/api/v1/firms", 404, Duration::from_millis(3));
        let text = m.render();
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/firms\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/firms\",status=\"404\"} 1"
        ));
        assert!(text.contains("le=\"0.005\"} 2"));
        assert!(text.contains("le=\"0.05\"} 3"));
        assert!(text.contains(
            "http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/firms\"} 3"
        ));
    }

    #[test]
    fn group_sizes_fall_in_cumulative_buckets() {
        let m = Metrics::default();
        for writes in [1, 3, 3, 40] {
            m.observe_group(writes);
        }
        let text = m.render();
        assert!(text.contains("ledger_group_commit_writes_bucket{le=\"1\"} 1"));
        assert!(text.contains("ledger_group_commit_writes_bucket{le=\"4\"} 3"));
        assert!(text.contains("ledger_group_commit_writes_bucket{le=\"32\"} 3"));
        assert!(text.contains("ledger_group_commit_writes_bucket{le=\"64\"} 4"));
        assert!(text.contains("ledger_group_commit_writes_sum 47"));
        assert!(text.contains("ledger_group_commit_writes_count 4"));
    }
}
