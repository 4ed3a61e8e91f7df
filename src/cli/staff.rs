//! `xinfang-guide staff add NAME --role viewer|editor|admin`: creates a
//! console account. The password is prompted for (not echoed) on a
//! terminal, or read as one line from stdin otherwise. When the running
//! server holds the data dir, the server is asked to create it
//! (`POST /admin/staff`, with the data dir's admin token).

use crate::staff::accounts::{self, Role};
use crate::store::sled_store::SledOptions;
use crate::store::{SledStore, StoreError};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal};

pub fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("密码 / password: ").context("reading the password")?;
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
            crate::staff::audit::record(
                &*store,
                now,
                "(command line)",
                "add_user",
                &format!("{name} as {}", role.as_str()),
            )
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
