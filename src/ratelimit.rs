//! A request limit per client kept in memory: a fixed window of `limit` requests per `window` for
//! each key (a client address). The rule ([`FixedWindow`]) is pure — the caller passes the time,
//! so tests need no sleeping; [`RateLimiter`] shares one among the HTTP workers.
//!
//! The key is the address the connection comes from. `X-Forwarded-For` is trusted only when the
//! deployment says a proxy of its own sets it ([`client_address`]); otherwise anyone could pick
//! a fresh address per request by sending the header.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Refused; a request after `retry_after` is allowed again (unless the table of clients is
    /// full of other live windows).
    Limited {
        retry_after: Duration,
    },
}

/// At most `limit` requests per key in each window; a key's window starts at its first request
/// after the previous window ended. At most `max_keys` keys are remembered: expired windows are
/// dropped when the table is full, and while it is still full of live windows a new key is
/// refused until the earliest of them ends (a flood of addresses cannot exhaust memory).
#[derive(Debug)]
pub struct FixedWindow<K> {
    limit: u32,
    window: Duration,
    max_keys: usize,
    /// key → (window start, requests allowed in it)
    windows: HashMap<K, (Instant, u32)>,
}

impl<K: Hash + Eq> FixedWindow<K> {
    pub fn new(limit: u32, window: Duration, max_keys: usize) -> Self {
        FixedWindow {
            limit,
            window,
            max_keys: max_keys.max(1),
            windows: HashMap::new(),
        }
    }

    /// Counts one request of `key` at `now`.
    pub fn check(&mut self, key: K, now: Instant) -> Decision {
        if self.limit == 0 {
            return Decision::Limited {
                retry_after: self.window,
            };
        }
        let window = self.window;
        let ends = |start: Instant| (start + window).saturating_duration_since(now);
        if let Some((start, count)) = self.windows.get_mut(&key) {
            let left = ends(*start);
            if left.is_zero() {
                *start = now;
                *count = 1;
                return Decision::Allowed;
            }
            if *count < self.limit {
                *count += 1;
                return Decision::Allowed;
            }
            return Decision::Limited { retry_after: left };
        }
        if self.windows.len() >= self.max_keys {
            self.windows.retain(|_, (start, _)| !ends(*start).is_zero());
        }
        if self.windows.len() >= self.max_keys {
            let retry_after = self
                .windows
                .values()
                .map(|(start, _)| ends(*start))
                .min()
                .unwrap_or(window);
            return Decision::Limited { retry_after };
        }
        self.windows.insert(key, (now, 1));
        Decision::Allowed
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// A [`FixedWindow`] over client addresses, shared by the HTTP workers.
#[derive(Debug)]
pub struct RateLimiter {
    inner: Mutex<FixedWindow<IpAddr>>,
}

/// Clients remembered at most (each costs a few dozen bytes).
pub const MAX_CLIENTS: usize = 100_000;

impl RateLimiter {
    pub fn per_minute(limit: u32) -> RateLimiter {
        RateLimiter {
            inner: Mutex::new(FixedWindow::new(
                limit,
                Duration::from_secs(60),
                MAX_CLIENTS,
            )),
        }
    }

    /// Counts one request of the client at `now` (its IPv6 addresses by /64, see [`client_key`]).
    pub fn check(&self, client: IpAddr, now: Instant) -> Decision {
        // A panic elsewhere while holding the lock leaves counts that are still counts.
        let mut windows = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        windows.check(client_key(client), now)
    }
}

/// A [`FixedWindow`] per minute over any key (a user), shared by the HTTP workers; a limit of 0
/// means no limit.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    inner: Option<Mutex<FixedWindow<K>>>,
}

impl<K: Hash + Eq> KeyedLimiter<K> {
    pub fn per_minute(limit: u32) -> KeyedLimiter<K> {
        KeyedLimiter {
            inner: (limit > 0).then(|| {
                Mutex::new(FixedWindow::new(
                    limit,
                    Duration::from_secs(60),
                    MAX_CLIENTS,
                ))
            }),
        }
    }

    pub fn check(&self, key: K, now: Instant) -> Decision {
        match &self.inner {
            None => Decision::Allowed,
            Some(inner) => inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .check(key, now),
        }
    }
}

/// Filings per minute, per user and per client address (each request counts once, a batch of
/// 1000 as much as one entry): a clerk's or a system's runaway loop is slowed, and so is a flood
/// from one address across many accounts — nobody's normal day. Kept per app server.
#[derive(Debug)]
pub struct FilingRate {
    per_user: KeyedLimiter<uuid::Uuid>,
    per_address: KeyedLimiter<IpAddr>,
}

impl FilingRate {
    /// Limits per minute (0: that limit is off).
    pub fn per_minute(per_user: u32, per_address: u32) -> FilingRate {
        FilingRate {
            per_user: KeyedLimiter::per_minute(per_user),
            per_address: KeyedLimiter::per_minute(per_address),
        }
    }

    /// Counts one filing request of `user` from `address` (its IPv6 addresses by /64);
    /// `429 rate_limited` with `Retry-After` over either limit. The address is counted first: a
    /// request it refuses costs the user nothing.
    pub fn admit(&self, user: uuid::Uuid, address: IpAddr) -> Result<(), crate::error::AppError> {
        let now = Instant::now();
        let refused = |retry_after| crate::error::AppError::RateLimited {
            retry_after_secs: retry_after_secs(retry_after),
        };
        if let Decision::Limited { retry_after } = self.per_address.check(client_key(address), now)
        {
            return Err(refused(retry_after));
        }
        match self.per_user.check(user, now) {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after } => Err(refused(retry_after)),
        }
    }
}

/// What a filing route asks for to count its request: the deployment's filing rates and the
/// client's address (told by [`ClientAddresses`]). An extractor, so that the handler names it.
pub struct FilingAdmission {
    rate: actix_web::web::Data<FilingRate>,
    address: IpAddr,
}

impl FilingAdmission {
    /// Counts the request of `user` (see [`FilingRate::admit`]).
    pub fn admit(&self, user: uuid::Uuid) -> Result<(), crate::error::AppError> {
        self.rate.admit(user, self.address)
    }
}

impl actix_web::FromRequest for FilingAdmission {
    type Error = crate::error::AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let rate = req.app_data::<actix_web::web::Data<FilingRate>>().cloned();
        let addresses = req
            .app_data::<actix_web::web::Data<ClientAddresses>>()
            .map(|a| *a.get_ref());
        std::future::ready(match (rate, addresses) {
            (Some(rate), Some(addresses)) => Ok(FilingAdmission {
                rate,
                address: addresses.of(req),
            }),
            _ => Err(crate::error::AppError::internal(
                "the filing rates are not registered",
            )),
        })
    }
}

/// The key a client is counted under: an IPv4 address as it is (also when written as an
/// IPv4-mapped IPv6 address); an IPv6 address by its /64 network, which one subscriber usually
/// holds whole.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address: the connection's peer, or — only when `trust_forwarded_for` — the last
/// address in `X-Forwarded-For`, the one the deployment's own proxy appended (earlier ones are
/// whatever the client wrote). Without a peer (no socket) every such request shares one key.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trust_forwarded_for: bool,
) -> IpAddr {
    let forwarded = forwarded_for
        .filter(|_| trust_forwarded_for)
        .and_then(|header| header.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// How the deployment tells a client's address (sign-in throttling): registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddresses {
    pub trust_forwarded_for: bool,
}

impl ClientAddresses {
    pub fn of(&self, req: &actix_web::HttpRequest) -> IpAddr {
        let forwarded = req
            .headers()
            .get("X-Forwarded-For")
            .and_then(|v| v.to_str().ok());
        client_address(
            req.peer_addr().map(|a| a.ip()),
            forwarded,
            self.trust_forwarded_for,
        )
    }
}

/// Whole seconds for a `Retry-After` header: rounded up, at least 1.
pub fn retry_after_secs(retry_after: Duration) -> u64 {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn the_request_after_the_limit_waits_for_the_window() {
        let t0 = Instant::now();
        let mut limiter = FixedWindow::new(3, MINUTE, 10);
        for ms in [0, 1_000, 2_000] {
            assert_eq!(limiter.check("a", at(t0, ms)), Decision::Allowed);
        }
        assert_eq!(
            limiter.check("a", at(t0, 20_000)),
            Decision::Limited {
                retry_after: Duration::from_secs(40)
            }
        );
        // Another client is not held up.
        assert_eq!(limiter.check("b", at(t0, 20_000)), Decision::Allowed);
        assert!(matches!(
            limiter.check("a", at(t0, 59_999)),
            Decision::Limited { .. }
        ));
        assert_eq!(limiter.check("a", at(t0, 60_000)), Decision::Allowed);
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let mut limiter = FixedWindow::new(0, MINUTE, 10);
        assert_eq!(
            limiter.check(1, Instant::now()),
            Decision::Limited {
                retry_after: MINUTE
            }
        );
    }

    #[test]
    fn a_full_table_drops_expired_windows_then_refuses_newcomers() {
        let t0 = Instant::now();
        let mut limiter = FixedWindow::new(5, MINUTE, 2);
        assert_eq!(limiter.check(1, t0), Decision::Allowed);
        assert_eq!(limiter.check(2, at(t0, 10_000)), Decision::Allowed);
        assert_eq!(
            limiter.check(3, at(t0, 30_000)),
            Decision::Limited {
                retry_after: Duration::from_secs(30)
            }
        );
        // Key 1's window is over: it makes room.
        assert_eq!(limiter.check(3, at(t0, 60_000)), Decision::Allowed);
        assert_eq!(limiter.len(), 2);
    }

    #[test]
    fn addresses_are_keyed_v4_whole_and_v6_by_network() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(client_key(mapped), v4);
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
    }

    #[test]
    fn forwarded_for_counts_only_when_trusted_and_then_its_last_address() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let header = Some("198.51.100.1, 203.0.113.9");
        assert_eq!(client_address(Some(peer), header, false), peer);
        assert_eq!(
            client_address(Some(peer), header, true),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(Some(peer), Some("junk"), true), peer);
        assert_eq!(client_address(Some(peer), None, true), peer);
        assert_eq!(
            client_address(None, None, false),
            IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
        );
    }

    #[test]
    fn filing_is_counted_per_address_across_users_and_a_refusal_costs_the_user_nothing() {
        let rate = FilingRate::per_minute(2, 3);
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let here: IpAddr = "203.0.113.7".parse().unwrap();
        let there: IpAddr = "198.51.100.1".parse().unwrap();
        assert!(rate.admit(a, here).is_ok());
        assert!(rate.admit(b, here).is_ok());
        assert!(rate.admit(b, here).is_ok());
        // The address's three are used, whoever asks.
        assert!(matches!(
            rate.admit(a, here),
            Err(crate::error::AppError::RateLimited { .. })
        ));
        // `a` has used one of its two: from elsewhere it files once more, then its own limit.
        assert!(rate.admit(a, there).is_ok());
        assert!(rate.admit(a, there).is_err());
        // Off is off.
        let open = FilingRate::per_minute(0, 0);
        assert!((0..100).all(|_| open.admit(a, here).is_ok()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(40_001)), 41);
        assert_eq!(retry_after_secs(Duration::from_secs(40)), 40);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    /// Requests as (key, milliseconds since the previous request).
    fn requests() -> impl Strategy<Value = Vec<(u8, u64)>> {
        prop::collection::vec((0u8..4, 0u64..30_000), 0..200)
    }

    fn run(
        limiter: &mut FixedWindow<u8>,
        t0: Instant,
        reqs: &[(u8, u64)],
    ) -> Vec<(u8, Instant, Decision)> {
        let mut now = t0;
        reqs.iter()
            .map(|&(key, gap)| {
                now += Duration::from_millis(gap);
                (key, now, limiter.check(key, now))
            })
            .collect()
    }

    proptest! {
        /// In any span shorter than the window no key gets more than twice the limit (a window's
        /// end and the next one's start), and from a key's first request on, no more than the
        /// limit within the window.
        #[test]
        fn no_key_gets_more_than_the_limit_allows(limit in 1u32..6, reqs in requests()) {
            let t0 = Instant::now();
            let mut limiter = FixedWindow::new(limit, MINUTE, 100);
            let log = run(&mut limiter, t0, &reqs);
            for key in 0u8..4 {
                let allowed: Vec<Instant> = log.iter()
                    .filter(|(k, _, d)| *k == key && *d == Decision::Allowed)
                    .map(|(_, t, _)| *t)
                    .collect();
                for (i, start) in allowed.iter().enumerate() {
                    let within = allowed[i..].iter().take_while(|t| **t - *start < MINUTE).count();
                    prop_assert!(within as u32 <= 2 * limit);
                }
                if let Some(first) = log.iter().find(|(k, _, _)| *k == key).map(|(_, t, _)| *t) {
                    let within = allowed.iter().filter(|t| **t - first < MINUTE).count();
                    prop_assert!(within as u32 <= limit);
                }
            }
        }

        /// Waiting out `Retry-After` is enough, and a request before it ends is still refused.
        #[test]
        fn retry_after_is_neither_too_short_nor_too_long(limit in 1u32..6, reqs in requests()) {
            let t0 = Instant::now();
            let mut limiter = FixedWindow::new(limit, MINUTE, 100);
            let mut now = t0;
            for &(key, gap) in &reqs {
                now += Duration::from_millis(gap);
                if let Decision::Limited { retry_after } = limiter.check(key, now) {
                    prop_assert!(retry_after > Duration::ZERO && retry_after <= MINUTE);
                    if retry_after > Duration::from_millis(1) {
                        let early = now + retry_after - Duration::from_millis(1);
                        let refused = matches!(limiter.check(key, early), Decision::Limited { .. });
                        prop_assert!(refused, "allowed before Retry-After ended");
                    }
                    now += retry_after;
                    prop_assert_eq!(limiter.check(key, now), Decision::Allowed);
                }
            }
        }

        /// One client's traffic never changes another's answers (while the table has room).
        #[test]
        fn clients_do_not_share_a_budget(limit in 1u32..6, reqs in requests()) {
            let t0 = Instant::now();
            let together = run(&mut FixedWindow::new(limit, MINUTE, 100), t0, &reqs);
            let mut alone = FixedWindow::new(limit, MINUTE, 100);
            for (key, now, decision) in together.iter().filter(|(k, _, _)| *k == 0) {
                prop_assert_eq!(alone.check(*key, *now), *decision);
            }
        }

        /// At one instant, exactly `limit` of a fresh client's requests pass.
        #[test]
        fn a_burst_passes_exactly_the_limit(limit in 0u32..20, burst in 0u32..40) {
            let now = Instant::now();
            let mut limiter = FixedWindow::new(limit, MINUTE, 100);
            let passed = (0..burst).filter(|_| limiter.check((), now) == Decision::Allowed).count();
            prop_assert_eq!(passed as u32, burst.min(limit));
        }

        /// The table never holds more clients than its bound.
        #[test]
        fn memory_stays_bounded(max in 1usize..5, reqs in prop::collection::vec((any::<u16>(), 0u64..30_000), 0..300)) {
            let mut limiter = FixedWindow::new(3, MINUTE, max);
            let mut now = Instant::now();
            for (key, gap) in reqs {
                now += Duration::from_millis(gap);
                limiter.check(key, now);
                prop_assert!(limiter.len() <= max);
            }
        }
    }
}
