//! Group commit: one thread makes writes durable for every commit waiting.
//!
//! A commit takes a ticket and waits until a flush that started after its
//! writes has finished. The flusher runs `Db::flush()` in a loop while
//! tickets are waiting, so all commits that arrive during one flush share
//! the next one; before each flush it waits `gather` (default 1 ms, `[store]
//! group_commit_us`) so a batch grows. sled's flush ends in
//! `sync_file_range`, which survives a killed process but flushes neither
//! the device's write cache nor the file's metadata (sled issue #1452), so
//! each flush is followed by one `fdatasync` of the data file: one per
//! group, amortised like the flush itself. Log record bodies live in segment
//! files (`segments`), synced first in the same group.

use super::super::StoreError;
use super::segments::Segments;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Failed flushes remembered for their waiters.
const FAILED_KEPT: usize = 64;

pub struct Flusher {
    /// Highest ticket handed out (each is a write waiting to be durable).
    requested: AtomicU64,
    wake: (Mutex<()>, Condvar),
    /// Highest ticket known durable.
    done: watch::Sender<u64>,
    /// Tickets whose flush failed, as ranges (first, last), newest last: a
    /// failed flush fails the commits it was for, and later ones succeed
    /// again once the disk takes writes.
    failed: Mutex<std::collections::VecDeque<(u64, u64)>>,
    stop: AtomicBool,
}

impl Flusher {
    /// Starts the flusher thread for `db`, whose data file is `data_file`.
    pub fn start(
        db: sled::Db,
        segments: Arc<Segments>,
        data_file: std::fs::File,
        gather: Duration,
    ) -> std::io::Result<(Arc<Self>, std::thread::JoinHandle<()>)> {
        let (done, _) = watch::channel(0);
        let f = Arc::new(Self {
            requested: AtomicU64::new(0),
            wake: (Mutex::new(()), Condvar::new()),
            done,
            failed: Mutex::new(std::collections::VecDeque::new()),
            stop: AtomicBool::new(false),
        });
        let me = f.clone();
        let thread = std::thread::Builder::new()
            .name("xg-flusher".into())
            .spawn(move || me.run(&db, &segments, &data_file, gather))?;
        Ok((f, thread))
    }

    /// Waits until everything written before this call is durable.
    pub async fn durable(&self) -> Result<(), StoreError> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        {
            let (lock, cvar) = &self.wake;
            let _guard = lock.lock().map_err(|_| StoreError::Closed)?;
            cvar.notify_one();
        }
        let mut rx = self.done.subscribe();
        rx.wait_for(|d| *d >= ticket).await.map_err(|_| StoreError::Closed)?;
        let failed = self.failed.lock().map_err(|_| StoreError::Closed)?;
        // A waiter older than every range kept (it slept through 64 failed
        // flushes) is told its flush failed: never acknowledged unsure.
        let too_old = failed.len() == FAILED_KEPT && failed.front().is_some_and(|r| ticket < r.0);
        if too_old || failed.iter().any(|(first, last)| (*first..=*last).contains(&ticket)) {
            return Err(StoreError::Io("flush to disk failed".into()));
        }
        Ok(())
    }

    /// Tells the thread to finish the flushes asked for and end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Notify under the lock: the flusher re-checks `stop` under it.
        let _guard = self.wake.0.lock();
        self.wake.1.notify_all();
    }

    fn run(&self, db: &sled::Db, segments: &Segments, data_file: &std::fs::File, gather: Duration) {
        loop {
            // Let more commits join this flush: fewer syncs, more CPU for requests.
            if !gather.is_zero() && self.requested.load(Ordering::SeqCst) > *self.done.borrow() {
                std::thread::sleep(gather);
            }
            let target = self.requested.load(Ordering::SeqCst);
            if target > *self.done.borrow() {
                let started = Instant::now();
                let batch = target - *self.done.borrow();
                // Record bodies first: on disk before, or with, what points at them.
                let synced = segments
                    .sync()
                    .map_err(|e| e.to_string())
                    .and_then(|()| db.flush().map_err(|e| e.to_string()))
                    .and_then(|_| data_file.sync_data().map_err(|e| e.to_string()));
                if let Err(e) = synced {
                    tracing::error!(error = %e, "flush to disk failed");
                    if let Ok(mut failed) = self.failed.lock() {
                        if failed.len() == FAILED_KEPT {
                            failed.pop_front();
                        }
                        failed.push_back((target - batch + 1, target));
                    }
                }
                metrics::histogram!("xg_store_flush_seconds").record(started.elapsed().as_secs_f64());
                metrics::histogram!("xg_store_flush_batch").record(batch as f64);
                self.done.send_replace(target);
                continue;
            }
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            let (lock, cvar) = &self.wake;
            let Ok(guard) = lock.lock() else { return };
            // Re-check under the lock so a ticket taken just now is not missed.
            if self.requested.load(Ordering::SeqCst) == *self.done.borrow() && !self.stop.load(Ordering::SeqCst) {
                let _ = cvar.wait_timeout(guard, Duration::from_millis(200));
            }
        }
    }
}
