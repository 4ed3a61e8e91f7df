//! The backup file: one stream of frames, checked by a SHA-256 of all its
//! bytes at the end, so a cut or altered file is refused before anything
//! is restored from it.
//!
//! ```text
//! "XGBACKUP 1\n"
//! frame*    tag (1 byte) then fields, each a u64 big-endian length and bytes
//!   'H'     header: JSON (`Header`)
//!   'T'     a tree begins: name
//!   'K'     one entry of the current tree: key, value
//!   'F'     a file: path (relative to the data dir), content
//!   'S'     summary: JSON (`Summary`), what the file holds
//! 'Z' then the 32-byte SHA-256 of every byte before the 'Z'
//! ```

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

pub const MAGIC: &[u8] = b"XGBACKUP 1\n";
/// The longest field a reader accepts (a segment file is at most a few MB).
const MAX_FIELD: u64 = 1 << 31;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The version of xinfang-guide that wrote it.
    pub version: String,
    /// The store it came from ("sled").
    pub store: String,
    /// When it was begun (Unix seconds).
    pub created: i64,
}

/// What a backup holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub sessions: u64,
    /// Log records (their bodies are in the segment files).
    pub log: u64,
    pub tickets: u64,
    /// Records of every space: accounts, throttles, audit, daily figures,
    /// warnings, alerts…
    pub records: u64,
    /// Entries of every tree together.
    pub entries: u64,
    pub files: u64,
    pub file_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup file I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a backup file of xinfang-guide (no {:?} at its start)", String::from_utf8_lossy(MAGIC).trim())]
    NotABackup,
    #[error("the backup file is cut short or damaged: {0}")]
    Damaged(String),
    #[error("the backup file's checksum does not match: it was cut short or altered")]
    Checksum,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// PostgreSQL is backed up with its own tools.
    #[error("this store is a PostgreSQL database: back it up with pg_dump (see the README)")]
    Unsupported,
}

/// Writes frames, hashing every byte.
pub struct Writer<W: Write> {
    out: W,
    hash: Sha256,
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W, header: &Header) -> std::io::Result<Self> {
        out.write_all(MAGIC)?;
        let mut w = Self { out, hash: Sha256::new() };
        w.hash.update(MAGIC);
        w.frame(b'H', &[&serde_json::to_vec(header).map_err(std::io::Error::other)?])?;
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hash.update(bytes);
        self.out.write_all(bytes)
    }

    pub fn frame(&mut self, tag: u8, fields: &[&[u8]]) -> std::io::Result<()> {
        self.put(&[tag])?;
        for f in fields {
            self.put(&(f.len() as u64).to_be_bytes())?;
            self.put(f)?;
        }
        Ok(())
    }

    /// A file of `len` bytes read from `from` (exactly that many).
    pub fn file(&mut self, path: &str, len: u64, from: &mut impl Read) -> std::io::Result<()> {
        self.put(b"F")?;
        self.put(&(path.len() as u64).to_be_bytes())?;
        self.put(path.as_bytes())?;
        self.put(&len.to_be_bytes())?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let n = from.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("{path} shrank")));
            }
            self.put(&buf[..n])?;
            left -= n as u64;
        }
        Ok(())
    }

    /// The summary and the checksum; returns the output.
    pub fn finish(mut self, summary: &Summary) -> std::io::Result<W> {
        self.frame(b'S', &[&serde_json::to_vec(summary).map_err(std::io::Error::other)?])?;
        let digest = self.hash.finalize();
        self.out.write_all(b"Z")?;
        self.out.write_all(&digest)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One frame as read.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Header(Header),
    Tree(String),
    Entry(Vec<u8>, Vec<u8>),
    File(String, Vec<u8>),
    Summary(Summary),
}

/// Reads frames, hashing every byte; the last `next` checks the checksum.
pub struct Reader<R: Read> {
    input: R,
    hash: Sha256,
    done: bool,
}

impl<R: Read> Reader<R> {
    pub fn new(mut input: R) -> Result<Self, BackupError> {
        let mut magic = [0u8; MAGIC.len()];
        input.read_exact(&mut magic).map_err(|_| BackupError::NotABackup)?;
        if magic != MAGIC {
            return Err(BackupError::NotABackup);
        }
        let mut hash = Sha256::new();
        hash.update(MAGIC);
        Ok(Self { input, hash, done: false })
    }

    fn exact(&mut self, n: usize, what: &str) -> Result<Vec<u8>, BackupError> {
        let mut buf = vec![0u8; n];
        self.input.read_exact(&mut buf).map_err(|e| damaged(what, e))?;
        self.hash.update(&buf);
        Ok(buf)
    }

    fn field(&mut self, what: &str) -> Result<Vec<u8>, BackupError> {
        let len = self.exact(8, what)?;
        let len = u64::from_be_bytes(len.try_into().map_err(|_| BackupError::Damaged(what.into()))?);
        if len > MAX_FIELD {
            return Err(BackupError::Damaged(format!("{what}: a field of {len} bytes")));
        }
        self.exact(len as usize, what)
    }

    fn text(&mut self, what: &str) -> Result<String, BackupError> {
        String::from_utf8(self.field(what)?).map_err(|_| BackupError::Damaged(format!("{what} is not UTF-8")))
    }

    /// The next frame; `None` after the checksum, which it has verified.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, BackupError> {
        if self.done {
            return Ok(None);
        }
        let mut tag = [0u8; 1];
        self.input.read_exact(&mut tag).map_err(|e| damaged("frame", e))?;
        if tag[0] == b'Z' {
            let mut digest = [0u8; 32];
            self.input.read_exact(&mut digest).map_err(|e| damaged("checksum", e))?;
            let want = std::mem::take(&mut self.hash).finalize();
            if digest[..] != want[..] {
                return Err(BackupError::Checksum);
            }
            let mut rest = [0u8; 1];
            if self.input.read(&mut rest)? != 0 {
                return Err(BackupError::Damaged("bytes after the checksum".into()));
            }
            self.done = true;
            return Ok(None);
        }
        self.hash.update(tag);
        Ok(Some(match tag[0] {
            b'H' => Frame::Header(json(&self.field("header")?, "header")?),
            b'T' => Frame::Tree(self.text("tree name")?),
            b'K' => Frame::Entry(self.field("key")?, self.field("value")?),
            b'F' => Frame::File(self.text("file name")?, self.field("file")?),
            b'S' => Frame::Summary(json(&self.field("summary")?, "summary")?),
            other => return Err(BackupError::Damaged(format!("unknown frame {other:#04x}"))),
        }))
    }
}

fn json<T: serde::de::DeserializeOwned>(b: &[u8], what: &str) -> Result<T, BackupError> {
    serde_json::from_slice(b).map_err(|e| BackupError::Damaged(format!("{what}: {e}")))
}

fn damaged(what: &str, e: std::io::Error) -> BackupError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        BackupError::Damaged(format!("it ends inside a {what}"))
    } else {
        BackupError::Io(e)
    }
}

/// Reads a whole backup, checking it: its header and summary.
pub fn verify(input: impl Read) -> Result<(Header, Summary), BackupError> {
    let mut r = Reader::new(input)?;
    let (mut header, mut summary) = (None, None);
    while let Some(f) = r.next_frame()? {
        match f {
            Frame::Header(h) => header = Some(h),
            Frame::Summary(s) => summary = Some(s),
            _ => {}
        }
    }
    match (header, summary) {
        (Some(h), Some(s)) => Ok((h, s)),
        _ => Err(BackupError::Damaged("no header or summary".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let h = Header { version: "0.1.0".into(), store: "sled".into(), created: 1 };
        let mut w = Writer::new(Vec::new(), &h).expect("header");
        w.frame(b'T', &[b"sessions"]).expect("tree");
        w.frame(b'K', &[b"k", b"v"]).expect("entry");
        w.file("segments/00000001.seg", 3, &mut &b"abc"[..]).expect("file");
        w.finish(&Summary { sessions: 1, ..Summary::default() }).expect("finish")
    }

    #[test]
    fn a_backup_reads_back_and_any_change_or_cut_is_refused() {
        let bytes = sample();
        let (h, s) = verify(&bytes[..]).expect("verifies");
        assert_eq!((h.store.as_str(), s.sessions), ("sled", 1));
        let mut r = Reader::new(&bytes[..]).expect("magic");
        let frames: Vec<Frame> = std::iter::from_fn(|| r.next_frame().expect("frame")).collect();
        assert_eq!(frames[2], Frame::Entry(b"k".to_vec(), b"v".to_vec()));
        assert_eq!(frames[3], Frame::File("segments/00000001.seg".into(), b"abc".to_vec()));
        for cut in [MAGIC.len() + 3, bytes.len() / 2, bytes.len() - 1] {
            assert!(verify(&bytes[..cut]).is_err(), "cut at {cut} is refused");
        }
        for at in [MAGIC.len() + 20, bytes.len() - 40] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(verify(&bad[..]).is_err(), "a flipped bit at {at} is refused");
        }
        assert!(matches!(verify(&b"not a backup at all"[..]), Err(BackupError::NotABackup)));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(verify(&longer[..]).is_err(), "bytes after the checksum are refused");
    }
}
