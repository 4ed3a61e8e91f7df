//! Staff accounts: argon2id password hashes, roles, lock-out after repeated
//! failed logins. Stored as records (`staff` space) and updated with
//! compare-and-swap, so several instances agree on failure counts.

use crate::store::{Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};

const SPACE: &str = "staff";
/// Failed logins in a row before the account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK_SECS: i64 = 15 * 60;
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// PHC string ($argon2id$…).
    pub hash: String,
    pub created: i64,
    pub failed: u32,
    pub locked_until: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Invalid(String),
    #[error("account {0:?} exists already")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("hashing the password failed")]
    Hash,
}

/// Why a login failed. Unknown user and wrong password look the same outside.
#[derive(Debug, PartialEq)]
pub enum LoginError {
    Wrong,
    Locked { until: i64 },
    Store,
}

/// Names: 1-32 of a-z 0-9 . _ -
pub fn valid_name(n: &str) -> bool {
    (1..=32).contains(&n.len())
        && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

pub fn hash_password(pw: &str) -> Result<String, StaffError> {
    Argon2::default().hash_password(pw.as_bytes()).map(|h| h.to_string()).map_err(|_| StaffError::Hash)
}

pub fn verify_password(hash: &str, pw: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
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
        return Err(StaffError::Invalid("name must be 1-32 of a-z 0-9 . _ -".into()));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::Invalid(format!("password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    let a =
        Account { name: name.into(), role, hash: hash_password(password)?, created: now, failed: 0, locked_until: 0 };
    let bytes = serde_json::to_vec(&a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if store.record_cas(SPACE, &key(name), None, Some(&bytes)).await? {
        Ok(())
    } else {
        Err(StaffError::Exists(name.into()))
    }
}

/// Checks a password; counts failures and locks the account after
/// `MAX_FAILURES` in a row for `LOCK_SECS`.
pub async fn login(store: &dyn Store, name: &str, password: &str, now: i64) -> Result<Account, LoginError> {
    for _ in 0..8 {
        let found = get(store, name).await.map_err(|_| LoginError::Store)?;
        let Some((mut a, raw)) = found else {
            // Same work as a real check, so timing does not tell names apart.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
            let _ = verify_password(dummy, password);
            return Err(LoginError::Wrong);
        };
        if a.locked_until > now {
            return Err(LoginError::Locked { until: a.locked_until });
        }
        let ok = verify_password(&a.hash, password);
        if ok && a.failed == 0 {
            return Ok(a);
        }
        if ok {
            a.failed = 0;
        } else {
            a.failed += 1;
            if a.failed >= MAX_FAILURES {
                a.failed = 0;
                a.locked_until = now + LOCK_SECS;
            }
        }
        let bytes = serde_json::to_vec(&a).map_err(|_| LoginError::Store)?;
        if store.record_cas(SPACE, &key(name), Some(&raw), Some(&bytes)).await.map_err(|_| LoginError::Store)? {
            return match (ok, a.locked_until > now) {
                (true, _) => Ok(a),
                (false, true) => Err(LoginError::Locked { until: a.locked_until }),
                (false, false) => Err(LoginError::Wrong),
            };
        }
    }
    Err(LoginError::Store)
}
