//! The XML of WeChat message pushes and passive replies.

use serde::Deserialize;

/// Room for a push carrying the longest message the engine takes (5,000
/// Chinese characters: 15 KB of UTF-8, about 20 KB once encrypted and
/// base64-encoded in safe mode) and its envelope, so such a message gets the
/// engine's "too long" reply rather than no answer; anything larger is refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum XmlError {
    #[error("message is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("message is not UTF-8")]
    Encoding,
    #[error("document type declarations are not accepted")]
    Doctype,
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// The fields of a push this bot uses; others (PicUrl, MediaId, …) are ignored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Incoming {
    pub to_user_name: String,
    pub from_user_name: String,
    pub create_time: i64,
    pub msg_type: String,
    pub content: Option<String>,
    pub msg_id: Option<String>,
    pub event: Option<String>,
    pub event_key: Option<String>,
    /// A voice message's text, when the account has speech recognition on
    /// (公众平台 → 设置与开发 → 接口权限 → 接收语音识别结果).
    pub recognition: Option<String>,
    /// Safe mode: the encrypted inner message.
    pub encrypt: Option<String>,
}

/// Parses a push. No DTD is accepted, so no entity can expand.
pub fn parse(body: &[u8]) -> Result<Incoming, XmlError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(body).map_err(|_| XmlError::Encoding)?;
    if has_declaration(text) {
        return Err(XmlError::Doctype);
    }
    quick_xml::de::from_str(text).map_err(|e| XmlError::Malformed(e.to_string()))
}

/// Whether the text holds a markup declaration (`<!DOCTYPE`, `<!ENTITY`,
/// `<!ELEMENT` … in any letter case): a `<!` that opens neither a CDATA
/// section nor a comment, outside those (inside them `<!` is only text).
fn has_declaration(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("<!") {
        let after = &rest[i + 2..];
        let close = if after.starts_with("[CDATA[") {
            "]]>"
        } else if after.starts_with("--") {
            "-->"
        } else {
            return true;
        };
        match after.find(close) {
            Some(j) => rest = &after[j + close.len()..],
            None => return false, // unterminated: the parser refuses it
        }
    }
    false
}

/// A passive text reply.
pub fn text_reply(to: &str, from: &str, now: i64, content: &str) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{now}</CreateTime>\
         <MsgType><![CDATA[text]]></MsgType><Content>{}</Content></xml>",
        cdata(to),
        cdata(from),
        cdata(content)
    )
}

/// The envelope of an encrypted (safe-mode) reply.
pub fn encrypted_reply(encrypt: &str, signature: &str, timestamp: &str, nonce: &str) -> String {
    format!(
        "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature><TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
        cdata(encrypt),
        cdata(signature),
        escape(timestamp),
        cdata(nonce)
    )
}

/// Wraps text in CDATA; a `]]>` inside is split across two sections.
fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text-message example of the Official Account documentation.
    const TEXT: &str = "<xml>\n  <ToUserName><![CDATA[toUser]]></ToUserName>\n  <FromUserName><![CDATA[fromUser]]></FromUserName>\n  <CreateTime>1348831860</CreateTime>\n  <MsgType><![CDATA[text]]></MsgType>\n  <Content><![CDATA[this is a test]]></Content>\n  <MsgId>1234567890123456</MsgId>\n  <MsgDataId>xxxx</MsgDataId>\n  <Idx>xxxx</Idx>\n</xml>";

    #[test]
    fn parses_the_documented_text_message() {
        let m = parse(TEXT.as_bytes()).unwrap();
        assert_eq!(m.from_user_name, "fromUser");
        assert_eq!(m.create_time, 1348831860);
        assert_eq!(m.content.as_deref(), Some("this is a test"));
        assert_eq!(m.msg_id.as_deref(), Some("1234567890123456"));
    }

    #[test]
    fn refuses_hostile_documents() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><xml><Content>&b;</Content></xml>";
        assert_eq!(parse(bomb.as_bytes()), Err(XmlError::Doctype));
        // Regression (review D10): the check was case-sensitive.
        for decl in
            ["<!DocType xml>", "<!dOcTyPe xml SYSTEM \"file:///etc/passwd\">", "<!Entity a \"b\">", "<!ELEMENT x ANY>"]
        {
            let doc = format!("{decl}<xml><Content><![CDATA[x]]></Content><!-- c --></xml>");
            assert_eq!(parse(doc.as_bytes()), Err(XmlError::Doctype), "{decl}");
        }
        let fine = "<xml><!-- note --><Content><![CDATA[<!DOCTYPE is text here]]></Content></xml>";
        assert_eq!(parse(fine.as_bytes()).map(|m| m.content), Ok(Some("<!DOCTYPE is text here".into())));
        assert_eq!(parse(&vec![b'a'; MAX_BODY_BYTES + 1]), Err(XmlError::TooLarge));
        assert_eq!(parse(b"<xml>\xff\xfe</xml>"), Err(XmlError::Encoding));
        assert!(matches!(parse(b"<xml><Content>unclosed"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b"<xml><Content>&undefined;</Content></xml>"), Err(XmlError::Malformed(_))));
    }

    #[test]
    fn replies_survive_cdata_terminators() {
        let x = text_reply("u", "gh", 1, "a]]>b<c>");
        let back: Incoming = quick_xml::de::from_str(&x).unwrap();
        assert_eq!(back.content.as_deref(), Some("a]]>b<c>"));
        assert_eq!(back.msg_type, "text");
    }
}
