//! `xinfang-guide staff add NAME --role viewer|editor|admin`: creates a
//! console account; `staff list` lists them (role, failed logins);
//! `staff passwd NAME` sets a new password; `staff unlock NAME` clears a
//! name's failed logins. A password is prompted for (not echoed) on a
//! terminal, or read as one line from stdin otherwise. When the running
//! server holds the data dir, the server is asked (`/admin/staff…`, with
//! the data dir's admin token).

use crate::staff::accounts::{self, Role};
use crate::staff::manage::{Change, Listed, apply, listed};
use crate::store::sled_store::SledOptions;
use crate::store::{SledStore, StoreError};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal};

pub fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("密码 / password: ").context("reading the password")?;
        // The rules first: a too-short password is not typed twice (review S5).
        accounts::check_password(&a).map_err(|e| anyhow::anyhow!("{e}"))?;
        let b = rpassword::prompt_password("再输入一次 / again: ").context("reading the password")?;
        if a != b {
            bail!("the two passwords differ");
        }
        Ok(a)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

pub async fn add(place: &super::Place, name: &str, role: Role, password: &str, now: i64) -> anyhow::Result<()> {
    let (data, server) = (place.data.as_path(), place.server.as_deref());
    let opened = match place.shared().await? {
        Some(store) => Ok(store),
        None => SledStore::open(data, &SledOptions::default()).map(|s| s as std::sync::Arc<dyn crate::store::Store>),
    };
    match opened {
        Ok(store) => {
            accounts::add(&*store, name, role, password, now).await?;
            crate::staff::audit::record(&*store, now, "（命令行）", "add_user", &format!("{name}（{}）", role.name()))
                .await?;
            Ok(())
        }
        Err(StoreError::Locked(why)) => {
            let running = super::server::Running::find(data, server, &why)?;
            let body = serde_json::json!({"name": name, "role": role.as_str(), "password": password});
            running.send(running.post("/admin/staff").json(&body)).await?;
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("opening data dir {}", data.display())),
    }
}

/// The accounts as a table whose columns line up under Chinese headers.
pub fn list_table(list: &[Listed]) -> String {
    use crate::stats::pad;
    let mut s =
        format!("{}{}{}{}\n", pad("用户名", 20, false), pad("角色", 10, false), pad("创建时间", 18, false), "登录失败");
    for a in list {
        let role = a.role.parse::<Role>().map_or(a.role.as_str(), |r| r.name());
        let created = crate::analysis::time_text(a.created);
        let _ = std::fmt::Write::write_fmt(
            &mut s,
            format_args!(
                "{}{}{}{}\n",
                pad(&a.name, 20, false),
                pad(role, 10, false),
                pad(&created, 18, false),
                a.failures
            ),
        );
    }
    s
}

pub async fn list(place: &super::Place, now: i64) -> anyhow::Result<Vec<Listed>> {
    if let Some(store) = place.shared().await? {
        return Ok(listed(&*store, now).await?);
    }
    let (data, server) = (place.data.as_path(), place.server.as_deref());
    match SledStore::open(data, &SledOptions::default()) {
        Ok(store) => Ok(listed(&*store, now).await?),
        Err(StoreError::Locked(why)) => {
            let running = super::server::Running::find(data, server, &why)?;
            let resp = running.send(running.get("/admin/staff")).await?;
            resp.json().await.context("reading the server's list")
        }
        Err(e) => Err(e).with_context(|| format!("opening data dir {}", data.display())),
    }
}

pub async fn change(place: &super::Place, name: &str, change: Change, now: i64) -> anyhow::Result<()> {
    if let Some(store) = place.shared().await? {
        return Ok(apply(&*store, name, &change, now).await?);
    }
    let (data, server) = (place.data.as_path(), place.server.as_deref());
    match SledStore::open(data, &SledOptions::default()) {
        Ok(store) => Ok(apply(&*store, name, &change, now).await?),
        Err(StoreError::Locked(why)) => {
            let running = super::server::Running::find(data, server, &why)?;
            let (path, body) = match &change {
                Change::Password(pw) => ("/admin/staff/password", serde_json::json!({"name": name, "password": pw})),
                Change::Unlock => ("/admin/staff/unlock", serde_json::json!({"name": name})),
            };
            running.send(running.post(path).json(&body)).await?;
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("opening data dir {}", data.display())),
    }
}
