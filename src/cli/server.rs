//! Reaching the running server that holds a data dir (sled admits one
//! process per dir, so commands that read or write data ask it instead).
//!
//! The server writes its address (`server.addr`) and its admin token
//! (`admin.token`, mode 0600) into the data dir; a command run by a user
//! who can read the data dir reads both. Nothing is guessed: without an
//! address file the command says how to point it at the server.

use crate::datadir::{ADDR_FILE, TOKEN_FILE};
use anyhow::{Context, bail};
use std::path::Path;

/// The server holding a data dir, and the authority to ask it.
pub struct Running {
    pub base: String,
    token: String,
    http: reqwest::Client,
}

impl Running {
    /// `server` (an address given on the command line) or the data dir's
    /// `server.addr`; `why` says why the data dir could not be opened.
    pub fn find(data: &Path, server: Option<&str>, why: &str) -> anyhow::Result<Self> {
        let addr = match server {
            Some(s) => s.to_string(),
            None => match std::fs::read_to_string(data.join(ADDR_FILE)) {
                Ok(a) => a.trim().to_string(),
                Err(_) => bail!(
                    "{why}, and {} names no running server: give --server HOST:PORT",
                    data.join(ADDR_FILE).display()
                ),
            },
        };
        let token_path = data.join(TOKEN_FILE);
        let token = std::fs::read_to_string(&token_path)
            .with_context(|| format!("{why}; reading {} (run this as the server's user)", token_path.display()))?;
        Ok(Self { base: loopback_base(&addr), token: token.trim().to_string(), http: reqwest::Client::new() })
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    /// Sends, and turns a refusal into the server's own message.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<reqwest::Response> {
        let resp = req.send().await.with_context(|| format!("asking the server at {} failed", self.base))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        bail!("the server at {} refused ({status}): {}", self.base, server_message(&text))
    }
}

/// The `message` of the API's JSON error, else the body as sent.
pub fn server_message(body: &str) -> String {
    let v: Option<serde_json::Value> = serde_json::from_str(body).ok();
    match v.as_ref().and_then(|v| v["error"]["message"].as_str()) {
        Some(m) => m.to_string(),
        None => body.trim().to_string(),
    }
}

/// `0.0.0.0:8080` (listen on all) is reached as `127.0.0.1:8080`.
pub fn loopback_base(addr: &str) -> String {
    if addr.starts_with("http://") || addr.starts_with("https://") {
        return addr.trim_end_matches('/').to_string();
    }
    let addr = addr.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    format!("http://{addr}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_all_is_asked_on_loopback() {
        assert_eq!(super::loopback_base("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(super::loopback_base("http://10.0.0.2:9/"), "http://10.0.0.2:9");
    }

    #[test]
    fn refusals_read_as_the_servers_message() {
        let body = r#"{"error":{"code":"bad_request","message":"account \"chen\" exists already","hint":"x"}}"#;
        assert_eq!(super::server_message(body), "account \"chen\" exists already");
        assert_eq!(super::server_message("plain words"), "plain words");
    }
}
