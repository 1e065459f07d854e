//! Envelope encryption of everything a customer stores. Each document has its
//! own key; document keys are wrapped by the organisation's key; organisation
//! keys are wrapped by the master key from the configuration. Destroying a
//! wrapped document key makes that document unreadable for good.
//!
//! Ciphertext layout: `version (1 byte) || nonce (24 bytes) || XChaCha20-Poly1305 output`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::fmt;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the master key must be 32 bytes, base64 or hex encoded")]
    BadMasterKey,
    #[error("ciphertext is damaged or was sealed with another key")]
    Unreadable,
}

/// A 256-bit key. Its bytes never appear in `Debug` output or logs.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    pub fn random() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }

    /// Parses a configured key: 64 hex digits or base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        use base64::Engine;
        let t = text.trim();
        let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| VaultError::BadMasterKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| VaultError::BadMasterKey)?
        };
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| VaultError::BadMasterKey)
    }

    pub fn to_base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Encrypts `plaintext`; `context` is bound into the tag (e.g. the document
    /// id) so a ciphertext cannot be swapped for another one.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        // Encryption with a valid key and nonce length cannot fail.
        if let Ok(ct) = cipher.encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        ) {
            out.extend_from_slice(&ct);
        }
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, VaultError> {
        let (version, rest) = sealed.split_first().ok_or(VaultError::Unreadable)?;
        if *version != VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(VaultError::Unreadable);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        XChaCha20Poly1305::new(&self.0.into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context,
                },
            )
            .map_err(|_| VaultError::Unreadable)
    }

    /// Wraps another key under this one.
    pub fn wrap(&self, key: &SecretKey, context: &[u8]) -> Vec<u8> {
        self.seal(&key.0, context)
    }

    pub fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretKey, VaultError> {
        let bytes = self.open(wrapped, context)?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(SecretKey)
            .map_err(|_| VaultError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_wrong_key_or_context() {
        let k = SecretKey::random();
        let sealed = k.seal(b"Facture 2026-11", b"doc-1");
        assert!(!sealed.windows(7).any(|w| w == b"Facture"));
        assert_eq!(k.open(&sealed, b"doc-1").unwrap(), b"Facture 2026-11");
        assert_eq!(k.open(&sealed, b"doc-2"), Err(VaultError::Unreadable));
        assert_eq!(
            SecretKey::random().open(&sealed, b"doc-1"),
            Err(VaultError::Unreadable)
        );
        assert_eq!(k.open(&sealed[..10], b"doc-1"), Err(VaultError::Unreadable));
    }

    #[test]
    fn keys_parse_and_stay_out_of_debug() {
        let k = SecretKey::random();
        let b64 = k.to_base64();
        let again = SecretKey::parse(&b64).unwrap();
        assert_eq!(again.0, k.0);
        assert!(SecretKey::parse(&"ab".repeat(32)).is_ok());
        assert_eq!(
            SecretKey::parse("short").unwrap_err(),
            VaultError::BadMasterKey
        );
        assert!(!format!("{k:?}").contains(&b64));
    }

    #[test]
    fn wrapping_chain() {
        let master = SecretKey::random();
        let org = SecretKey::random();
        let wrapped = master.wrap(&org, b"org");
        let back = master.unwrap_key(&wrapped, b"org").unwrap();
        let doc = back.seal(b"x", b"d");
        assert_eq!(org.open(&doc, b"d").unwrap(), b"x");
    }
}
