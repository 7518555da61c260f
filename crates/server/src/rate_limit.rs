//! Sign-in attempts, limited per account and per source address: after too many failures in a
//! window, further attempts get 429 with the seconds to wait, whatever their password.
//! In memory, per server process (each instance counts its own attempts).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per account in a window.
pub const PER_ACCOUNT: u32 = 5;
/// Failed sign-ins allowed per source address in a window (an office shares one).
pub const PER_ADDRESS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked keys, expired windows are dropped.
const MAX_KEYS: usize = 10_000;

#[derive(Default)]
pub struct LoginLimits {
    accounts: Limiter,
    addresses: Limiter,
}

impl LoginLimits {
    /// `Err(wait)` when either the account or the address has used up its attempts.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let account = self.accounts.check(email, PER_ACCOUNT);
        let address = address.map_or(Ok(()), |a| {
            self.addresses.check(&a.to_string(), PER_ADDRESS)
        });
        match (account, address) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), _) | (_, Err(wait)) => Err(wait),
        }
    }

    pub fn failed(&self, email: &str, address: Option<IpAddr>) {
        self.accounts.failed(email);
        if let Some(address) = address {
            self.addresses.failed(&address.to_string());
        }
    }

    pub fn succeeded(&self, email: &str) {
        self.accounts.forget(email);
    }
}

#[derive(Default)]
struct Limiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    fn check(&self, key: &str, limit: u32) -> Result<(), Duration> {
        let windows = self
            .windows
            .lock()
            .expect("the limiter never panics holding its lock");
        match windows.get(key) {
            Some((started, failures)) if *failures >= limit && started.elapsed() < WINDOW => {
                Err(WINDOW - started.elapsed())
            }
            _ => Ok(()),
        }
    }

    fn failed(&self, key: &str) {
        let mut windows = self
            .windows
            .lock()
            .expect("the limiter never panics holding its lock");
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, (started, _)| started.elapsed() < WINDOW);
        }
        let window = windows.entry(key.to_owned()).or_insert((Instant::now(), 0));
        if window.0.elapsed() >= WINDOW {
            *window = (Instant::now(), 0);
        }
        window.1 += 1;
    }

    fn forget(&self, key: &str) {
        self.windows
            .lock()
            .expect("the limiter never panics holding its lock")
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_for_an_account_waits_and_others_are_not_affected() {
        let limits = LoginLimits::default();
        let address = Some("127.0.0.1".parse().unwrap());
        for _ in 0..PER_ACCOUNT {
            assert!(limits.check("ada@example.com", address).is_ok());
            limits.failed("ada@example.com", address);
        }
        let wait = limits.check("ada@example.com", address).unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= WINDOW);
        assert!(limits.check("bob@example.com", address).is_ok());
    }

    #[test]
    fn one_address_trying_many_accounts_is_limited_too() {
        let limits = LoginLimits::default();
        let address = Some("10.0.0.7".parse().unwrap());
        for n in 0..PER_ADDRESS {
            limits.failed(&format!("user{n}@example.com"), address);
        }
        assert!(limits.check("new@example.com", address).is_err());
        assert!(
            limits
                .check("new@example.com", Some("10.0.0.8".parse().unwrap()))
                .is_ok()
        );
    }
}
