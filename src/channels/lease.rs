//! One holder among several instances for a job only one may run (Telegram
//! allows one `getUpdates` poller per bot): a lease row in the store,
//! taken when free or expired, renewed well before it runs out. With sled or
//! the memory store (one process) it is always granted.

use crate::app::ClockFn;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a lease lasts without renewal (seconds).
pub const LEASE_SECS: i64 = 30;
/// How often the holder renews it, and others try to take it.
pub const RENEW_EVERY: Duration = Duration::from_secs(10);

/// Why `keep` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Asked to stop (shutdown): the lease was released.
    Stopped,
    /// Another instance holds it now, or the store could not renew it in time.
    Lost,
}

pub struct Lease {
    pub store: Arc<dyn Store>,
    pub name: &'static str,
    /// This process (a random token).
    pub holder: String,
    pub clock: ClockFn,
}

impl Lease {
    async fn try_take(&self) -> bool {
        match self.store.lease(self.name, &self.holder, (self.clock)(), LEASE_SECS).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(lease = self.name, error = %e, "lease not renewed");
                false
            }
        }
    }

    /// Waits until this process holds the lease; false when stopped first.
    pub async fn acquire(&self, stop: &mut watch::Receiver<bool>) -> bool {
        loop {
            if *stop.borrow() {
                return false;
            }
            if self.try_take().await {
                return true;
            }
            tokio::select! {
                _ = tokio::time::sleep(RENEW_EVERY) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Renews the lease until stopped or lost. A failed renewal is retried
    /// until the lease would have expired; then it counts as lost (another
    /// instance may have it by then).
    pub async fn keep(&self, stop: &mut watch::Receiver<bool>) -> Ended {
        let mut held_until = (self.clock)() + LEASE_SECS;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RENEW_EVERY) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                // Released: another instance may take over at once.
                let _ = self.store.lease(self.name, &self.holder, (self.clock)(), -LEASE_SECS).await;
                return Ended::Stopped;
            }
            let now = (self.clock)();
            if self.try_take().await {
                held_until = now + LEASE_SECS;
            } else if now + RENEW_EVERY.as_secs() as i64 >= held_until {
                return Ended::Lost;
            }
        }
    }
}
