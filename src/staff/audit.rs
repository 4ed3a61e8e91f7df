//! The audit log: who logged in, viewed a transcript, exported or changed
//! what, and when. Append-only records keyed by time.

use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

const SPACE: &str = "audit";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub ts: i64,
    pub who: String,
    pub action: String,
    pub detail: String,
}

pub async fn record(store: &dyn Store, ts: i64, who: &str, action: &str, detail: &str) -> Result<(), StoreError> {
    let e = Entry { ts, who: who.into(), action: action.into(), detail: detail.chars().take(500).collect() };
    let bytes = serde_json::to_vec(&e).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    loop {
        let suffix: u64 = rand::random();
        let key = format!("{:020}-{suffix:016x}", ts.max(0));
        if store.record_cas(SPACE, &key, None, Some(&bytes)).await? {
            return Ok(());
        }
    }
}

/// Newest first, at most `limit`.
pub async fn recent(store: &dyn Store, limit: usize) -> Result<Vec<Entry>, StoreError> {
    let rows = store.record_scan(SPACE, "", usize::MAX).await?;
    rows.iter()
        .rev()
        .take(limit)
        .map(|(_, v)| serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

/// An action as staff read it (the log keeps the English key).
pub fn action_name(action: &str) -> String {
    let zh = match action {
        "login" => "登录",
        "logout" => "退出",
        "login_failed" => "登录失败",
        "login_throttled" => "登录受限（须等待）",
        "view_transcript" => "查看对话",
        "annotate" => "标注",
        "export" => "导出 CSV",
        "export_examples" => "导出例句",
        "add_user" => "新建账号",
        "set_role" => "更改角色",
        "set_password" => "重设密码",
        "unlock_user" => "解除登录限制",
        "delete_user" => "删除账号",
        "purge" => "清除过期记录",
        "reload" => "重新加载内容",
        "handle_alert" => "处理危险提醒",
        "warning_state" => "标记研判预警",
        "export_report" => "导出年度数据",
        other => return other.to_string(),
    };
    zh.to_string()
}
