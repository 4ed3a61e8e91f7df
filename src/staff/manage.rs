//! Account changes an operator makes from the command line (`staff list`,
//! `staff passwd`, `staff unlock`), directly on a store or through the
//! loopback admin endpoints of the server holding it; audited as
//! "（命令行）".

use super::accounts::{self, StaffError};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// One account as `staff list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    pub name: String,
    pub role: String,
    pub created: i64,
    /// Failed logins counted for the name now.
    pub failures: u32,
}

pub async fn listed(store: &dyn Store, now: i64) -> Result<Vec<Listed>, StoreError> {
    let mut out = Vec::new();
    for a in accounts::list(store).await? {
        let (f, _) = accounts::name_failures(store, &a.name, now).await?;
        out.push(Listed { name: a.name, role: a.role.as_str().into(), created: a.created, failures: f.count });
    }
    Ok(out)
}

/// A change to an existing account.
pub enum Change {
    Password(String),
    Unlock,
}

/// Applies `change` to the account `name` in `store`, audited.
pub async fn apply(store: &dyn Store, name: &str, change: &Change, now: i64) -> Result<(), StaffError> {
    if accounts::get(store, name).await?.is_none() {
        return Err(StaffError::Invalid(format!("没有账号 {name:?} / no account {name:?}")));
    }
    let action = match change {
        Change::Password(pw) => {
            accounts::set_password(store, name, pw).await?;
            "set_password"
        }
        Change::Unlock => {
            accounts::clear_failures(store, name).await?;
            "unlock_user"
        }
    };
    super::audit::record(store, now, "（命令行）", action, name).await?;
    Ok(())
}
