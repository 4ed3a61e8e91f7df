//! WeChat message signatures and safe-mode (安全模式) encryption, as the
//! Official Account documentation describes them:
//!
//! - signature = hex(SHA-1(sorted(token, timestamp, nonce) concatenated));
//!   in safe mode `msg_signature` also sorts in the `Encrypt` field.
//! - AES key = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with the
//!   first 16 key bytes as IV; PKCS#7 padding to a multiple of 32 bytes;
//!   plaintext = 16 random bytes ‖ message length (u32, big-endian) ‖
//!   message ‖ AppID.

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use sha1::{Digest, Sha1};

/// WeChat pads to 32-byte blocks (PKCS#7 with k = 32).
const PAD_BLOCK: usize = 32;

/// EncodingAESKeys are generated without regard to base64's trailing bits.
const LENIENT: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CryptoError {
    #[error("EncodingAESKey must be 43 base64 characters")]
    BadKey,
    #[error("encrypted message is not valid base64")]
    Base64,
    #[error("encrypted message has a bad length or padding")]
    Malformed,
    #[error("encrypted message is for another AppID")]
    WrongAppId,
}

/// hex(SHA-1) over the parts sorted and concatenated.
pub fn signature(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let digest = Sha1::digest(sorted.concat().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares a received signature with the expected one in constant time.
pub fn signature_matches(expected: &str, got: &str) -> bool {
    crate::app::same_secret(expected, &got.to_ascii_lowercase())
}

/// The safe-mode cipher for one account.
#[derive(Clone)]
pub struct Cipher {
    key: [u8; 32],
    appid: String,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cipher").field("appid", &self.appid).finish_non_exhaustive()
    }
}

impl Cipher {
    pub fn new(encoding_aes_key: &str, appid: &str) -> Result<Self, CryptoError> {
        let k = encoding_aes_key.trim();
        if k.len() != 43 {
            return Err(CryptoError::BadKey);
        }
        let bytes = LENIENT.decode(format!("{k}=")).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self { key, appid: appid.to_string() })
    }

    /// Decrypts the `Encrypt` field into the inner XML.
    pub fn decrypt(&self, encrypted: &str) -> Result<String, CryptoError> {
        let mut buf = STANDARD.decode(encrypted.trim()).map_err(|_| CryptoError::Base64)?;
        if buf.len() < PAD_BLOCK || buf.len() % 16 != 0 {
            return Err(CryptoError::Malformed);
        }
        let dec = cbc::Decryptor::<Aes256>::new_from_slices(&self.key, &self.key[..16])
            .map_err(|_| CryptoError::Malformed)?;
        let plain = dec.decrypt_padded_mut::<NoPadding>(&mut buf).map_err(|_| CryptoError::Malformed)?;
        let pad = usize::from(*plain.last().ok_or(CryptoError::Malformed)?);
        if !(1..=PAD_BLOCK).contains(&pad) || pad > plain.len() {
            return Err(CryptoError::Malformed);
        }
        let body = plain.get(16..plain.len() - pad).ok_or(CryptoError::Malformed)?;
        let len_bytes: [u8; 4] = body.get(..4).and_then(|b| b.try_into().ok()).ok_or(CryptoError::Malformed)?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        let msg = body.get(4..4 + len).ok_or(CryptoError::Malformed)?;
        let appid = &body[4 + len..];
        if appid != self.appid.as_bytes() {
            return Err(CryptoError::WrongAppId);
        }
        String::from_utf8(msg.to_vec()).map_err(|_| CryptoError::Malformed)
    }

    /// Encrypts a reply; `random` is the 16-byte prefix (fresh per message).
    pub fn encrypt(&self, msg: &str, random: [u8; 16]) -> String {
        let mut buf = Vec::with_capacity(msg.len() + 64);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        buf.extend_from_slice(msg.as_bytes());
        buf.extend_from_slice(self.appid.as_bytes());
        let pad = PAD_BLOCK - buf.len() % PAD_BLOCK;
        buf.extend(std::iter::repeat_n(pad as u8, pad));
        let len = buf.len();
        let enc = match cbc::Encryptor::<Aes256>::new_from_slices(&self.key, &self.key[..16]) {
            Ok(e) => e,
            // Key and IV lengths are fixed by the type of `self.key`.
            Err(_) => return String::new(),
        };
        match enc.encrypt_padded_mut::<NoPadding>(&mut buf, len) {
            Ok(out) => STANDARD.encode(out),
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn signature_is_sha1_of_the_sorted_parts() {
        let s = signature(&["token", "1409304348", "xxxxxx"]);
        let mut parts = ["token", "1409304348", "xxxxxx"];
        parts.sort();
        let expected: String = Sha1::digest(parts.concat()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(s, expected);
        assert!(signature_matches(&s, &s.to_uppercase()));
        assert!(!signature_matches(&s, "00"));
    }

    /// Vectors from Tencent's published WXBizMsgCrypt samples.
    #[test]
    fn matches_the_published_sample_vectors() {
        let c = Cipher::new(KEY, "wxb11529c136998cb6").unwrap();
        let enc = c.encrypt("我是中文abcd123", *b"aaaabbbbccccdddd");
        assert_eq!(enc, "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==");
        assert_eq!(c.decrypt(&enc).unwrap(), "我是中文abcd123");

        let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
        assert_eq!(
            signature(&["QDG6eK", "1409659813", "1372623149", encrypt]),
            "477715d11cdb4164915debcba66cb864d751f3e6"
        );
        let c = Cipher::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7").unwrap();
        let xml = c.decrypt(encrypt).unwrap();
        assert!(xml.starts_with("<xml>") && xml.contains("<MsgType><![CDATA[text]]></MsgType>"), "{xml}");
    }

    #[test]
    fn round_trip_and_tampering() {
        let c = Cipher::new(KEY, "wx1234567890abcdef").unwrap();
        for msg in ["", "<xml>你好</xml>", &"长".repeat(1000)] {
            let enc = c.encrypt(msg, [7; 16]);
            assert_eq!(c.decrypt(&enc).unwrap(), msg);
        }
        let other = Cipher::new(KEY, "wxother").unwrap();
        assert_eq!(other.decrypt(&c.encrypt("x", [1; 16])), Err(CryptoError::WrongAppId));
        assert_eq!(c.decrypt("not base64!"), Err(CryptoError::Base64));
        assert_eq!(c.decrypt(&STANDARD.encode([0u8; 20])), Err(CryptoError::Malformed));
        assert!(c.decrypt(&STANDARD.encode([0u8; 64])).is_err());
        assert_eq!(Cipher::new("short", "x").err(), Some(CryptoError::BadKey));
    }
}
