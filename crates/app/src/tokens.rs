//! Random tokens handed to people (session cookies, invitation and reset
//! links, API keys) and the hashes under which the store keeps them.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A URL-safe random token of `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Lower-case letters and digits without look-alikes, for codes people type.
pub fn random_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut buf = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter()
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'a'),
            )
        })
        .collect()
}

/// SHA-256 of a high-entropy token (tokens are random, so no salt or slow hash is needed).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token(32);
        assert_ne!(a, random_token(32));
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(random_code(10).len(), 10);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
