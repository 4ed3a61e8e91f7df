//! Log record bodies in append-only segment files beside sled.
//!
//! sled keeps resident what a scan reads, whatever its cache size (320,000
//! values of 700 bytes iterated: +91 MB; of 40 bytes: +7 MB), and rewrites
//! values in its own log. So the `log` tree holds only a 17-byte pointer per
//! record (segment, offset, length) and the record itself is appended to
//! `segments/<n>.seg`: `len u32 LE ‖ crc32 u32 LE ‖ payload`. Scans read
//! bodies with `pread` (the kernel's page cache, not this process's memory),
//! retention deletes whole segments (the data dir shrinks), and a body is
//! written once.
//!
//! A segment is appended to by one process, closed when it reaches
//! `MAX_SEGMENT_BYTES` or a record of a later day comes (or one more than a
//! day older: the clock set back), and a new one is started at each open (a
//! segment is never appended to after a restart). A record of the day
//! before (two turns either side of midnight committed out of order) goes
//! into the segment being written: closing on every change of day made one
//! segment, a directory listing and a directory fsync per record for
//! writes out of time order. Retention deletes a segment by its newest
//! record, so such a record's body stays on disk at most a day longer,
//! unreachable once its pointer is removed. Durability: the
//! group flush calls `sync` (fdatasync of every segment written since the
//! last sync) before sled's flush, so an acknowledged record's body is on
//! disk before, or with, the pointer to it. A crash can leave a pointer to a
//! body that never reached the disk (a turn nobody was answered for): it
//! reads as missing (length or checksum wrong) and recovery removes it.

use super::io;
use crate::store::StoreError;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A segment is closed when it grows past this.
const MAX_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// Longest body taken (a record is a few KB at most).
const MAX_BODY: u32 = 1024 * 1024;
const HEADER: usize = 8;
/// Read handles kept open.
const READERS: usize = 16;

/// Where a record's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pointer {
    pub segment: u32,
    pub offset: u64,
    pub len: u32,
}

impl Pointer {
    pub const BYTES: usize = 16;

    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&self.segment.to_be_bytes());
        b[4..12].copy_from_slice(&self.offset.to_be_bytes());
        b[12..].copy_from_slice(&self.len.to_be_bytes());
        b
    }

    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        Some(Self {
            segment: u32::from_be_bytes(b.get(..4)?.try_into().ok()?),
            offset: u64::from_be_bytes(b.get(4..12)?.try_into().ok()?),
            len: u32::from_be_bytes(b.get(12..16)?.try_into().ok()?),
        })
    }
}

struct Writer {
    segment: u32,
    file: File,
    len: u64,
    /// Day (Unix seconds / 86,400) of the first record, and the newest
    /// record time written to this segment.
    day: i64,
    newest: i64,
    /// Segments written to since the last sync.
    unsynced: Vec<u32>,
    /// A write or sync of this segment failed and could not be undone: the
    /// next record starts a new segment.
    broken: bool,
}

pub struct Segments {
    dir: PathBuf,
    writer: Mutex<Option<Writer>>,
    readers: Mutex<HashMap<u32, Arc<File>>>,
    /// Tests: the next write stops half way and fails, as on a full disk.
    #[cfg(test)]
    pub(super) fail_next_write: std::sync::atomic::AtomicBool,
}

fn path(dir: &Path, segment: u32) -> PathBuf {
    dir.join(format!("{segment:08}.seg"))
}

/// The segment numbers present, oldest first.
fn list(dir: &Path) -> Result<Vec<u32>, StoreError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        let name = e.map_err(io)?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".seg").and_then(|n| n.parse().ok()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

impl Segments {
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let dir = data_dir.join("segments");
        std::fs::create_dir_all(&dir).map_err(io)?;
        cut_torn_tail(&dir)?;
        Ok(Self {
            dir,
            writer: Mutex::new(None),
            readers: Mutex::new(HashMap::new()),
            #[cfg(test)]
            fail_next_write: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn segments(&self) -> Result<Vec<u32>, StoreError> {
        list(&self.dir)
    }

    /// The file of segment `n`.
    pub fn file(&self, n: u32) -> PathBuf {
        path(&self.dir, n)
    }

    /// Appends a body for a record of time `ts`; returns where it is. The
    /// newest time of the segment being closed goes to `closed` (for
    /// retention).
    pub fn append(&self, ts: i64, payload: &[u8], closed: impl FnOnce(u32, i64)) -> Result<Pointer, StoreError> {
        let len = u32::try_from(payload.len()).ok().filter(|l| *l <= MAX_BODY);
        let len = len.ok_or_else(|| StoreError::Io("log record too large".into()))?;
        let mut guard = self.writer.lock().map_err(|_| StoreError::Closed)?;
        let w = &mut *guard;
        let day = ts.div_euclid(86_400);
        // A later day closes the segment; so does a record more than a day
        // older (the clock set back after running ahead), so a segment
        // started on a future date does not keep today's bodies past
        // retention.
        let rotate =
            w.as_ref().is_none_or(|w| w.broken || w.len >= MAX_SEGMENT_BYTES || day > w.day || day + 1 < w.day);
        if rotate {
            if let Some(old) = w.as_ref() {
                closed(old.segment, old.newest);
            }
            let unsynced = w.take().map(|o| o.unsynced).unwrap_or_default();
            let segment = list(&self.dir)?.last().map_or(1, |n| n + 1);
            let file = OpenOptions::new().create_new(true).append(true).open(path(&self.dir, segment)).map_err(io)?;
            // The new file's directory entry, durable before anything points into it.
            File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)?;
            *w = Some(Writer { segment, file, len: 0, day, newest: i64::MIN, unsynced, broken: false });
        }
        let Some(w) = guard.as_mut() else { return Err(StoreError::Closed) };
        let mut entry = Vec::with_capacity(HEADER + payload.len());
        entry.extend_from_slice(&len.to_le_bytes());
        entry.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        entry.extend_from_slice(payload);
        if let Err(e) = self.write_entry(w, &entry) {
            // A short or failed write (disk full, a quota, EIO) may have left
            // part of the entry in the file: cut it off, so the next record
            // lands where its pointer will say. If even that fails, leave the
            // segment: the next record starts a new one.
            let rolled_back = w.file.set_len(w.len).is_ok();
            if !rolled_back {
                tracing::error!(segment = w.segment, "a failed write could not be rolled back: starting a new segment");
                w.broken = true;
            }
            return Err(io(e));
        }
        let at = Pointer { segment: w.segment, offset: w.len, len };
        w.len += entry.len() as u64;
        w.newest = w.newest.max(ts);
        if !w.unsynced.contains(&w.segment) {
            w.unsynced.push(w.segment);
        }
        Ok(at)
    }

    /// Writes one whole entry at the end of the segment.
    fn write_entry(&self, w: &mut Writer, entry: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if self.fail_next_write.swap(false, std::sync::atomic::Ordering::SeqCst) {
            w.file.write_all(&entry[..entry.len() / 2])?;
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        w.file.write_all(entry)
    }

    /// Makes every body appended so far durable (fdatasync of each segment
    /// written since the last sync). Called by the group flush, before sled's.
    pub fn sync(&self) -> std::io::Result<()> {
        let (current, pending) = {
            let Ok(mut w) = self.writer.lock() else { return Ok(()) };
            let Some(w) = w.as_mut() else { return Ok(()) };
            (w.file.try_clone()?, std::mem::take(&mut w.unsynced))
        };
        let Ok(current_segment) = self.writer.lock().map(|w| w.as_ref().map(|w| w.segment)) else { return Ok(()) };
        for segment in pending.into_iter().filter(|s| Some(*s) != current_segment) {
            // A segment closed since the last sync, by name (gone: deleted).
            match File::open(path(&self.dir, segment)) {
                Ok(f) => f.sync_data()?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        let synced = current.sync_data();
        if synced.is_err() {
            // After a failed fsync the kernel may have dropped the pages it
            // could not write: nothing more goes into this file.
            if let Ok(mut w) = self.writer.lock() {
                if let Some(w) = w.as_mut().filter(|w| Some(w.segment) == current_segment) {
                    w.broken = true;
                }
            }
        }
        synced
    }

    /// The newest record time of the segment being written (at shutdown).
    pub fn current(&self) -> Option<(u32, i64)> {
        let w = self.writer.lock().ok()?;
        w.as_ref().filter(|w| w.newest > i64::MIN).map(|w| (w.segment, w.newest))
    }

    fn reader(&self, segment: u32) -> Result<Option<Arc<File>>, StoreError> {
        let mut r = self.readers.lock().map_err(|_| StoreError::Closed)?;
        if let Some(f) = r.get(&segment) {
            return Ok(Some(f.clone()));
        }
        match File::open(path(&self.dir, segment)) {
            Ok(f) => {
                let f = Arc::new(f);
                // A few handles at a time: a year of daily segments would
                // otherwise hold hundreds of descriptors.
                if r.len() >= READERS {
                    r.clear();
                }
                r.insert(segment, f.clone());
                Ok(Some(f))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    /// The body a pointer names; `None` when it is not (or not wholly) on
    /// disk, as after a crash before its flush.
    pub fn read(&self, p: Pointer) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(file) = self.reader(p.segment)? else { return Ok(None) };
        let mut buf = vec![0u8; HEADER + p.len as usize];
        match file.read_exact_at(&mut buf, p.offset) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(io(e)),
        }
        let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let crc = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let body = buf.split_off(HEADER);
        Ok((len == p.len && crc32fast::hash(&body) == crc).then_some(body))
    }

    /// Deletes a closed segment (retention); the data dir shrinks.
    pub fn remove(&self, segment: u32) -> Result<(), StoreError> {
        if self.writer.lock().map_err(|_| StoreError::Closed)?.as_ref().is_some_and(|w| w.segment == segment) {
            return Ok(());
        }
        self.readers.lock().map_err(|_| StoreError::Closed)?.remove(&segment);
        match std::fs::remove_file(path(&self.dir, segment)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    /// Every body of a segment (to learn its newest record after a crash);
    /// stops at the first torn entry.
    pub fn bodies(&self, segment: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        let Some(file) = self.reader(segment)? else { return Ok(Vec::new()) };
        let size = file.metadata().map_err(io)?.len();
        let (mut at, mut out) = (0u64, Vec::new());
        while at + HEADER as u64 <= size {
            let mut h = [0u8; HEADER];
            file.read_exact_at(&mut h, at).map_err(io)?;
            let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            match self.read(Pointer { segment, offset: at, len })? {
                Some(b) => out.push(b),
                None => break,
            }
            at += HEADER as u64 + u64::from(len);
        }
        Ok(out)
    }
}

/// Cuts, in the newest segment, an entry the file ends in the middle of:
/// the tail a crash or a failed write left. Nothing points there (a record is
/// acknowledged only after its body was written whole and synced), and a
/// new segment is started at each open, so this only gives back the space
/// and keeps scans from reading it.
fn cut_torn_tail(dir: &Path) -> Result<(), StoreError> {
    let Some(&newest) = list(dir)?.last() else { return Ok(()) };
    let file = OpenOptions::new().read(true).write(true).open(path(dir, newest)).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut at = 0u64;
    while at + HEADER as u64 <= size {
        let mut h = [0u8; HEADER];
        file.read_exact_at(&mut h, at).map_err(io)?;
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let end = at + HEADER as u64 + u64::from(len);
        if end > size {
            break;
        }
        let mut body = vec![0u8; len as usize];
        file.read_exact_at(&mut body, at + HEADER as u64).map_err(io)?;
        if crc32fast::hash(&body) != crc {
            // A whole entry that does not check out is not a torn tail:
            // leave the file as it is for whoever looks into it.
            return Ok(());
        }
        at = end;
    }
    if at < size {
        tracing::warn!(segment = newest, kept = at, cut = size - at, "cut a torn tail off the newest log segment");
        file.set_len(at).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_back_and_torn_ones_read_as_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Segments::open(dir.path()).expect("open");
        let a = s.append(86_400, b"first", |_, _| {}).expect("append");
        let b = s.append(86_401, b"second", |_, _| {}).expect("append");
        assert_eq!(s.read(a).expect("read").as_deref(), Some(&b"first"[..]));
        assert_eq!(s.read(b).expect("read").as_deref(), Some(&b"second"[..]));
        s.sync().expect("sync");
        assert_eq!(s.read(Pointer { len: 3, ..b }).expect("read"), None, "wrong length");
        assert_eq!(s.read(Pointer { offset: 9_999, ..b }).expect("read"), None, "past the end");
        // A new day closes the segment; the closed one can be deleted.
        let mut closed = None;
        let c = s.append(2 * 86_400, b"next day", |n, newest| closed = Some((n, newest))).expect("append");
        assert_eq!(closed, Some((a.segment, 86_401)));
        assert_ne!(c.segment, a.segment);
        assert_eq!(s.bodies(a.segment).expect("bodies"), [b"first".to_vec(), b"second".to_vec()]);
        s.remove(a.segment).expect("remove");
        assert_eq!(s.read(a).expect("read"), None);
        assert_eq!(s.segments().expect("list"), [c.segment]);
    }

    #[test]
    fn a_short_write_is_rolled_back_and_later_records_land_where_their_pointers_say() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Segments::open(dir.path()).expect("open");
        let a = s.append(86_400, b"before the disk filled", |_, _| {}).expect("append");
        s.fail_next_write.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(s.append(86_401, b"half written", |_, _| {}).is_err(), "a failed write is an error");
        let size = std::fs::metadata(path(&s.dir, a.segment)).expect("size").len();
        assert_eq!(size, (HEADER + 22) as u64, "the half entry is cut off");
        let later: Vec<_> =
            (0..30).map(|i| s.append(86_402, format!("after {i}").as_bytes(), |_, _| {}).expect("append")).collect();
        s.sync().expect("sync");
        assert_eq!(later[0].segment, a.segment, "the rolled-back segment goes on");
        for (i, p) in later.iter().enumerate() {
            assert_eq!(s.read(*p).expect("read"), Some(format!("after {i}").into_bytes()), "record {i}");
        }
        assert_eq!(s.read(a).expect("read").as_deref(), Some(&b"before the disk filled"[..]));
    }

    #[test]
    fn a_segment_that_cannot_be_rolled_back_is_left_for_a_new_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Segments::open(dir.path()).expect("open");
        let a = s.append(86_400, b"one", |_, _| {}).expect("append");
        if let Ok(mut w) = s.writer.lock() {
            if let Some(w) = w.as_mut() {
                w.broken = true;
            }
        }
        let b = s.append(86_401, b"two", |_, _| {}).expect("append");
        assert_ne!(a.segment, b.segment);
        s.sync().expect("sync");
        assert_eq!(s.read(a).expect("read").as_deref(), Some(&b"one"[..]));
        assert_eq!(s.read(b).expect("read").as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn opening_cuts_a_torn_tail_but_not_a_whole_bad_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = {
            let s = Segments::open(dir.path()).expect("open");
            let p = s.append(86_400, b"whole", |_, _| {}).expect("append");
            s.sync().expect("sync");
            p
        };
        let file = path(&dir.path().join("segments"), first.segment);
        // A crash in the middle of the next entry: its header says 100 bytes, 3 arrived.
        let mut torn = 100u32.to_le_bytes().to_vec();
        torn.extend_from_slice(&[0, 0, 0, 0, b'x', b'y', b'z']);
        OpenOptions::new().append(true).open(&file).expect("open").write_all(&torn).expect("write");
        let s = Segments::open(dir.path()).expect("reopen");
        assert_eq!(std::fs::metadata(&file).expect("size").len(), (HEADER + 5) as u64);
        assert_eq!(s.bodies(first.segment).expect("bodies"), [b"whole".to_vec()]);
        // A whole entry with a wrong checksum in the newest segment is left alone.
        let p = s.append(86_401, b"next", |_, _| {}).expect("append");
        s.sync().expect("sync");
        drop(s);
        let newest = path(&dir.path().join("segments"), p.segment);
        let mut bad = 3u32.to_le_bytes().to_vec();
        bad.extend_from_slice(&[1, 2, 3, 4, b'b', b'a', b'd']);
        OpenOptions::new().append(true).open(&newest).expect("open").write_all(&bad).expect("write");
        let before = std::fs::metadata(&newest).expect("size").len();
        drop(Segments::open(dir.path()).expect("reopen"));
        assert_eq!(std::fs::metadata(&newest).expect("size").len(), before);
    }

    #[test]
    fn turns_around_midnight_share_a_segment_and_a_clock_set_back_starts_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Segments::open(dir.path()).expect("open");
        let mut closed = 0;
        let first = s.append(10 * 86_400, b"today", |_, _| closed += 1).expect("append");
        // Midnight: turns of the day before and of today, interleaved.
        for day in [9, 10, 9, 9, 10] {
            let p = s.append(day * 86_400 + 7, b"around midnight", |_, _| closed += 1).expect("append");
            assert_eq!(p.segment, first.segment, "day {day}");
        }
        assert_eq!(closed, 0);
        let next = s.append(11 * 86_400, b"tomorrow", |_, _| closed += 1).expect("append");
        assert_ne!(next.segment, first.segment);
        assert_eq!(closed, 1);
        // The clock set back by days: a new segment, then that one is kept.
        let back = s.append(3 * 86_400, b"clock fixed", |_, _| closed += 1).expect("append");
        assert_ne!(back.segment, next.segment);
        let again = s.append(3 * 86_400 + 60, b"clock fixed", |_, _| closed += 1).expect("append");
        assert_eq!(again.segment, back.segment);
        assert_eq!(closed, 2);
        assert_eq!(s.segments().expect("list").len(), 3);
    }
}
