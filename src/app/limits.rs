//! Per-IP and per-session rate limits (governor, keyed token buckets).

use crate::config::LimitSettings;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

pub struct Limits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// `POST /staff/login` per client address: each attempt costs a
    /// password check, so this guards the CPU (the failure counts that
    /// guard the accounts are shared through the store).
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    pub login_tarpit: std::time::Duration,
    per_session: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

fn quota(per_second: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

fn login_quota(per_minute: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(Quota::per_minute(rate).allow_burst(burst))
}

impl Limits {
    pub fn new(s: &LimitSettings) -> Self {
        Self {
            per_ip: quota(s.per_ip_per_second, s.per_ip_burst).map(RateLimiter::keyed),
            login: login_quota(s.login_per_minute, s.login_burst).map(RateLimiter::keyed),
            login_tarpit: std::time::Duration::from_millis(s.login_tarpit_ms),
            per_session: quota(s.per_session_per_second, s.per_session_burst).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds to wait)` when the IP is over its limit.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.per_ip {
            Some(l) => l.check_key(&ip).map_err(|nu| nu.wait_time_from(self.clock.now()).as_secs() + 1),
            None => Ok(()),
        }
    }

    /// `Err(seconds to wait)` when the address tries to log in too often.
    pub fn check_login(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.login {
            Some(l) => l.check_key(&ip).map_err(|nu| nu.wait_time_from(self.clock.now()).as_secs() + 1),
            None => Ok(()),
        }
    }

    pub fn check_session(&self, token: &str) -> Result<(), u64> {
        match &self.per_session {
            Some(l) => l.check_key(&token.to_string()).map_err(|nu| nu.wait_time_from(self.clock.now()).as_secs() + 1),
            None => Ok(()),
        }
    }

    /// Forgets keys whose buckets are full again (called by the sweeper).
    pub fn shrink(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.login {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_session {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}
