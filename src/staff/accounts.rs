//! Staff accounts: argon2id password hashes, roles, and login throttling.
//! Stored as records and updated with compare-and-swap, so several
//! instances agree on accounts and on failure counts.
//!
//! Throttling, not lock-out: failed logins are counted per name and client
//! address, per client address, and per name (known and unknown names
//! alike, so the answers do not tell which names exist). After some free
//! failures each next attempt waits twice as long as the one before: a
//! guesser's address, on one name or on many, up to `ADDR_CAP_SECS`; a name
//! from every address together (many guessers) only up to `NAME_CAP_SECS`,
//! so nobody can keep a colleague out for longer than that. An attempt
//! during a wait is refused without checking the password. Each attempt is
//! counted (reserved, by compare-and-swap) *before* its password is checked
//! and given back when it was right, so a burst of concurrent guesses cannot
//! all pass a check that saw none of the others. argon2 runs on
//! the blocking pool, at most `ARGON_PARALLEL` at a time, never on a
//! request worker.

use crate::store::{Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

const SPACE: &str = "staff";
const THROTTLE: &str = "throttle";
/// Failures on one name from one address before attempts have to wait.
pub const PAIR_FREE: u32 = 5;
/// Failures on one name from all addresses before attempts have to wait.
pub const NAME_FREE: u32 = 20;
/// The longest wait a name's failures from all addresses impose (seconds).
pub const NAME_CAP_SECS: i64 = 30;
/// Failures from one client address before attempts have to wait.
pub const ADDR_FREE: u32 = 10;
/// The longest wait an address's failures impose, on one name or all (seconds).
pub const ADDR_CAP_SECS: i64 = 15 * 60;
/// A count with no new failure for this long starts again from zero.
pub const FORGET_SECS: i64 = 30 * 60;
/// Password checks running at once (each is ~20 ms of one core).
pub const ARGON_PARALLEL: usize = 1;
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl std::str::FromStr for Role {
    type Err = StaffError;
    fn from_str(s: &str) -> Result<Self, StaffError> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(StaffError::Invalid(format!("role must be viewer, editor or admin, not {other:?}"))),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// As the console shows it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "查看",
            Role::Editor => "编辑",
            Role::Admin => "管理员",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// PHC string ($argon2id$…).
    pub hash: String,
    pub created: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Invalid(String),
    #[error("账号 {0:?} 已存在 / account {0:?} exists already")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("hashing the password failed")]
    Hash,
}

/// Why a login failed. Unknown name, wrong password and a wait still
/// running look the same outside.
#[derive(Debug, PartialEq)]
pub enum LoginError {
    Wrong,
    /// Too many failures for this name or address: try again after `until`.
    Throttled {
        until: i64,
    },
    Store,
}

/// Names: 1-32 characters, each a letter (Chinese characters too; Latin
/// letters lowercase, since a login lowercases them), a digit or . _ -
pub fn valid_name(n: &str) -> bool {
    (1..=32).contains(&n.chars().count())
        && n.chars().all(|c| (c.is_alphabetic() && !c.is_uppercase()) || c.is_ascii_digit() || "._-".contains(c))
}

/// What an invalid name is told.
pub const NAME_RULE: &str = "用户名须为 1-32 个字符：汉字、小写字母、数字或 . _ - / name must be 1-32 letters (Chinese or lowercase), digits or . _ -";

fn hash_now(pw: &str) -> Result<String, StaffError> {
    Argon2::default().hash_password(pw.as_bytes()).map(|h| h.to_string()).map_err(|_| StaffError::Hash)
}

fn verify_now(hash: &str, pw: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// Runs argon2 work on the blocking pool, `ARGON_PARALLEL` at a time.
async fn argon<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    static GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(ARGON_PARALLEL);
    let _permit = GATE.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

pub async fn hash_password(pw: &str) -> Result<String, StaffError> {
    let pw = pw.to_string();
    argon(move || hash_now(&pw)).await.unwrap_or(Err(StaffError::Hash))
}

pub async fn verify_password(hash: &str, pw: &str) -> bool {
    let (hash, pw) = (hash.to_string(), pw.to_string());
    argon(move || verify_now(&hash, &pw)).await.unwrap_or(false)
}

fn key(name: &str) -> String {
    format!("u:{name}")
}

pub async fn get(store: &dyn Store, name: &str) -> Result<Option<(Account, Vec<u8>)>, StoreError> {
    let Some(raw) = store.record_get(SPACE, &key(name)).await? else { return Ok(None) };
    let a = serde_json::from_slice(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some((a, raw)))
}

pub async fn list(store: &dyn Store) -> Result<Vec<Account>, StoreError> {
    let rows = store.record_scan(SPACE, "u:", 10_000).await?;
    rows.iter().map(|(_, v)| serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(e.to_string()))).collect()
}

/// Creates an account (never overwrites one).
pub async fn add(store: &dyn Store, name: &str, role: Role, password: &str, now: i64) -> Result<(), StaffError> {
    if !valid_name(name) {
        return Err(StaffError::Invalid(NAME_RULE.into()));
    }
    check_password(password)?;
    let a = Account { name: name.into(), role, hash: hash_password(password).await?, created: now };
    let bytes = serde_json::to_vec(&a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if store.record_cas(SPACE, &key(name), None, Some(&bytes)).await? {
        Ok(())
    } else {
        Err(StaffError::Exists(name.into()))
    }
}

/// The password rules (checked before anything is stored, and by `staff
/// add` before it asks for the password again).
pub fn check_password(password: &str) -> Result<(), StaffError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::Invalid(format!(
            "密码至少 {MIN_PASSWORD_CHARS} 个字符 / password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Gives an account a new password (an admin's reset); its failed logins
/// are cleared too.
pub async fn set_password(store: &dyn Store, name: &str, password: &str) -> Result<(), StaffError> {
    check_password(password)?;
    let hash = hash_password(password).await?;
    let Some((mut a, raw)) = get(store, name).await? else {
        return Err(StaffError::Invalid(format!("没有账号 {name:?} / no account {name:?}")));
    };
    a.hash = hash;
    let bytes = serde_json::to_vec(&a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if !store.record_cas(SPACE, &key(name), Some(&raw), Some(&bytes)).await? {
        return Err(StaffError::Invalid("账号刚被别人改过，请重试 / the account changed meanwhile, retry".into()));
    }
    clear_failures(store, name).await?;
    Ok(())
}

/// Failed logins counted for one name or one client address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Failures {
    pub count: u32,
    /// When the last one happened (Unix seconds).
    pub last: i64,
}

impl Failures {
    /// The count as it stands at `now` (forgotten after `FORGET_SECS`).
    fn at(self, now: i64) -> Self {
        if now.saturating_sub(self.last) > FORGET_SECS { Self::default() } else { self }
    }

    /// When the next attempt may be made: after `free` failures, 1, 2, 4 …
    /// seconds after the last one, at most `cap`.
    pub fn next_attempt(self, free: u32, cap: i64) -> i64 {
        match self.count.checked_sub(free) {
            None => i64::MIN,
            Some(over) => self.last.saturating_add(1i64.checked_shl(over.min(30)).unwrap_or(cap).min(cap)),
        }
    }
}

fn name_key(name: &str) -> String {
    format!("n:{name}")
}

fn addr_key(ip: IpAddr) -> String {
    format!("a:{ip}")
}

fn pair_key(name: &str, ip: IpAddr) -> String {
    format!("p:{ip}|{name}")
}

async fn failures(store: &dyn Store, key: &str, now: i64) -> Result<(Failures, Option<Vec<u8>>), StoreError> {
    let raw = store.record_get(THROTTLE, key).await?;
    let f = raw.as_deref().and_then(|r| serde_json::from_slice::<Failures>(r).ok()).unwrap_or_default();
    Ok((f.at(now), raw))
}

/// Compare-and-swap rounds before giving up on a count that keeps changing
/// (every round one of the racers wins, so this bounds a burst of guesses).
const CAS_ROUNDS: usize = 256;

/// Counts one attempt on `key` unless it has to wait: `Ok(Some(undo))` with
/// what to write back when the attempt turns out right, `Ok(None)` when
/// it is throttled (`until` is raised to the end of its wait).
async fn reserve(
    store: &dyn Store,
    key: &str,
    free: u32,
    cap: i64,
    now: i64,
    until: &mut i64,
) -> Result<Option<Reserved>, StoreError> {
    for _ in 0..CAS_ROUNDS {
        let (f, raw) = failures(store, key, now).await?;
        let next = f.next_attempt(free, cap);
        if next > now {
            *until = (*until).max(next);
            return Ok(None);
        }
        let counted = Failures { count: f.count.saturating_add(1), last: now };
        let bytes = serde_json::to_vec(&counted).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if store.record_cas(THROTTLE, key, raw.as_deref(), Some(&bytes)).await? {
            return Ok(Some(Reserved { key: key.to_string(), before: raw, written: bytes }));
        }
        tokio::task::yield_now().await;
    }
    Err(StoreError::Io("failure count kept changing".into()))
}

/// One attempt counted by `reserve`.
struct Reserved {
    key: String,
    before: Option<Vec<u8>>,
    written: Vec<u8>,
}

/// Gives a reserved attempt back: the count as it was when nobody counted
/// since, else one less.
async fn give_back(store: &dyn Store, r: &Reserved, now: i64) -> Result<(), StoreError> {
    if store.record_cas(THROTTLE, &r.key, Some(&r.written), r.before.as_deref()).await? {
        return Ok(());
    }
    for _ in 0..CAS_ROUNDS {
        let (f, raw) = failures(store, &r.key, now).await?;
        let Some(raw) = raw else { return Ok(()) };
        let less = Failures { count: f.count.saturating_sub(1), last: f.last };
        let bytes = serde_json::to_vec(&less).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if store.record_cas(THROTTLE, &r.key, Some(&raw), Some(&bytes)).await? {
            return Ok(());
        }
        tokio::task::yield_now().await;
    }
    Err(StoreError::Io("failure count kept changing".into()))
}

/// A name's failed logins as they stand at `now`, and when it may try again.
pub async fn name_failures(store: &dyn Store, name: &str, now: i64) -> Result<(Failures, i64), StoreError> {
    let (f, _) = failures(store, &name_key(name), now).await?;
    Ok((f, f.next_attempt(NAME_FREE, NAME_CAP_SECS)))
}

async fn clear(store: &dyn Store, key: &str) -> Result<(), StoreError> {
    if let Some(raw) = store.record_get(THROTTLE, key).await? {
        store.record_cas(THROTTLE, key, Some(&raw), None).await?;
    }
    Ok(())
}

/// Forgets a name's failures from every address (an admin's unlock).
pub async fn clear_failures(store: &dyn Store, name: &str) -> Result<(), StoreError> {
    clear(store, &name_key(name)).await?;
    for (key, raw) in store.record_scan(THROTTLE, "p:", 100_000).await? {
        if key.rsplit_once('|').is_some_and(|(_, n)| n == name) {
            store.record_cas(THROTTLE, &key, Some(&raw), None).await?;
        }
    }
    Ok(())
}

/// Drops counts nobody has added to for `FORGET_SECS` (the sweeper's job);
/// returns how many went.
pub async fn forget_old_failures(store: &dyn Store, now: i64) -> Result<usize, StoreError> {
    let mut removed = 0;
    for (key, raw) in store.record_scan(THROTTLE, "", 100_000).await? {
        let f: Failures = serde_json::from_slice(&raw).unwrap_or_default();
        if f.at(now) == Failures::default() && store.record_cas(THROTTLE, &key, Some(&raw), None).await? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Checks a password for `name` from client address `from`.
pub async fn login(
    store: &dyn Store,
    name: &str,
    password: &str,
    from: IpAddr,
    now: i64,
) -> Result<Account, LoginError> {
    let keys = [
        (name_key(name), NAME_FREE, NAME_CAP_SECS),
        (addr_key(from), ADDR_FREE, ADDR_CAP_SECS),
        (pair_key(name, from), PAIR_FREE, ADDR_CAP_SECS),
    ];
    // Count the attempt on every key before the password is checked; a key
    // that has to wait gives back what the others took.
    let mut until = i64::MIN;
    let mut reserved = Vec::with_capacity(keys.len());
    for (key, free, cap) in &keys {
        match reserve(store, key, *free, *cap, now, &mut until).await {
            Ok(Some(r)) => reserved.push(r),
            Ok(None) => {
                for r in &reserved {
                    give_back(store, r, now).await.map_err(|_| LoginError::Store)?;
                }
                return Err(LoginError::Throttled { until });
            }
            Err(_) => return Err(LoginError::Store),
        }
    }
    let found = get(store, name).await.map_err(|_| LoginError::Store)?;
    let ok = match &found {
        Some((a, _)) => verify_password(&a.hash, password).await,
        None => {
            // Same work as a real check, so timing does not tell names apart.
            static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
            let dummy = DUMMY.get_or_init(|| async { hash_password("not a real password").await.unwrap_or_default() });
            let _ = verify_password(dummy.await, password).await;
            false
        }
    };
    match found {
        Some((a, _)) if ok => {
            // Right: the name's and the pair's counts start again; the
            // address gets its attempt back.
            for key in [name_key(name), pair_key(name, from)] {
                clear(store, &key).await.map_err(|_| LoginError::Store)?;
            }
            if let Some(r) = reserved.iter().find(|r| r.key == addr_key(from)) {
                give_back(store, r, now).await.map_err(|_| LoginError::Store)?;
            }
            Ok(a)
        }
        // Wrong: already counted.
        _ => Err(LoginError::Wrong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures_up_to_the_cap() {
        let f = |count| Failures { count, last: 1000 };
        assert_eq!(f(4).next_attempt(5, 60), i64::MIN, "still free");
        assert_eq!(f(5).next_attempt(5, 60), 1001);
        assert_eq!(f(7).next_attempt(5, 60), 1004);
        assert_eq!(f(40).next_attempt(5, 60), 1060, "capped");
        assert_eq!(f(u32::MAX).next_attempt(0, 900), 1900, "no overflow");
        assert_eq!(f(9).at(1000 + FORGET_SECS + 1), Failures::default(), "forgotten");
    }
}
