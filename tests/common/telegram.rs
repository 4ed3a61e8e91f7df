//! The parts of a fake Telegram Bot API that the Telegram and the
//! several-instances tests share: the Bot API's own reply shapes, so
//! teloxide parses them as it would real ones.

use serde_json::{Value, json};
use std::time::Duration;

/// `getMe`'s result.
pub fn get_me() -> Value {
    json!({"id": 1, "is_bot": true, "first_name": "信访指引", "username": "xg_test_bot",
        "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false,
        "has_main_web_app": false})
}

/// The message `sendMessage` (or `editMessageReplyMarkup`) returns for
/// `params`, numbered `message_id`.
pub fn sent(params: &Value, message_id: i64) -> Value {
    json!({"message_id": message_id, "date": 1764200000,
        "from": {"id": 1, "is_bot": true, "first_name": "信访指引", "username": "xg_test_bot"},
        "chat": {"id": params["chat_id"], "type": "private", "first_name": "张"},
        "text": params["text"].as_str().unwrap_or("")})
}

/// `getUpdates`' result: a short long poll, waiting up to 200 ms for `take`
/// to hand over queued updates.
pub async fn long_poll(mut take: impl FnMut() -> Vec<Value>) -> Value {
    for _ in 0..20 {
        let batch = take();
        if !batch.is_empty() {
            return Value::Array(batch);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    json!([])
}
