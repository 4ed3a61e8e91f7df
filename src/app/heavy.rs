//! Console work that reads many log records (the unanswered queue, the
//! dashboard, the CSV export) runs off the request workers: on the
//! blocking pool, one view at a time, and a result is reused for
//! `CACHE_SECS` by the next staff member asking the same thing. So a few
//! staff opening heavy pages cannot stall the citizens' chat, which shares
//! the same two cores.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a computed view is reused.
pub const CACHE_SECS: u64 = 30;
/// Views kept at most (oldest dropped first).
const CACHE_ENTRIES: usize = 64;

type Cached = (Instant, Arc<dyn Any + Send + Sync>);

pub struct Heavy {
    /// One heavy view at a time; the permit goes with the work, so a view
    /// whose requester went away still counts until it has finished.
    gate: Arc<tokio::sync::Semaphore>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Default for Heavy {
    fn default() -> Self {
        Self { gate: Arc::new(tokio::sync::Semaphore::new(1)), cache: Mutex::new(HashMap::new()) }
    }
}

impl Heavy {
    fn cached<T: Clone + Send + Sync + 'static>(&self, key: &str) -> Option<T> {
        let cache = self.cache.lock().ok()?;
        let (at, v) = cache.get(key)?;
        if at.elapsed() > Duration::from_secs(CACHE_SECS) {
            return None;
        }
        v.downcast_ref::<T>().cloned()
    }

    /// The value of `work` for `key` (empty key: never cached), computed on
    /// the blocking pool while no other heavy view is being computed.
    pub async fn run<T, F>(&self, key: &str, work: F) -> Option<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        if let Some(v) = self.cached(key) {
            return Some(v);
        }
        let permit = self.gate.clone().acquire_owned().await.ok()?;
        // Someone may have computed it while this one waited.
        if let Some(v) = self.cached(key) {
            return Some(v);
        }
        let rt = tokio::runtime::Handle::current();
        // The work runs to its end even when this request is dropped (the
        // staff member reloaded the page), holding the permit until then:
        // reloads cannot start heavy views side by side.
        let v = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            rt.block_on(work)
        })
        .await
        .ok()?;
        if !key.is_empty() {
            if let Ok(mut cache) = self.cache.lock() {
                if cache.len() >= CACHE_ENTRIES {
                    if let Some(oldest) = cache.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone()) {
                        cache.remove(&oldest);
                    }
                }
                cache.insert(key.to_string(), (Instant::now(), Arc::new(v.clone())));
            }
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn results_are_reused_and_work_runs_off_the_workers() {
        let h = Heavy::default();
        let a = h.run("k", async { std::thread::current().name().map(str::to_string) }).await.flatten();
        assert_ne!(a.as_deref(), Some("tokio-runtime-worker"), "ran on a blocking thread: {a:?}");
        let b: Option<Option<String>> = h.run("k", async { Some("second".to_string()) }).await;
        assert_eq!(b.flatten(), a, "cached");
        let c: Option<u32> = h.run("", async { 7 }).await;
        assert_eq!(c, Some(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_view_whose_requester_went_away_still_holds_the_gate_until_done() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let h = Arc::new(Heavy::default());
        let first_done = Arc::new(AtomicBool::new(false));
        let done = first_done.clone();
        let slow = async move {
            tokio::time::sleep(Duration::from_millis(1000)).await;
            done.store(true, Ordering::SeqCst);
        };
        let gone = tokio::time::timeout(Duration::from_millis(50), h.run("", slow)).await;
        assert!(gone.is_err(), "the requester gave up");
        let seen = first_done.clone();
        let second = h.run("", async move { seen.load(Ordering::SeqCst) }).await;
        assert_eq!(second, Some(true), "the second view started only after the first had finished");
    }
}
