//! The password rule: long enough to resist guessing, short enough to hash.

use crate::codes;

use crate::Invalid;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

/// Checks a new password against the policy; returns it unchanged when it passes.
pub fn check_new_password(password: &str) -> Result<&str, Invalid> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(Invalid::new(
            "password",
            codes::PASSWORD_TOO_SHORT,
            format!("a password needs at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(Invalid::new(
            "password",
            codes::PASSWORD_TOO_LONG,
            format!("a password has at most {MAX_LEN} characters"),
        ));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    #[test]
    fn length_rules() {
        assert_eq!(
            super::check_new_password("short").unwrap_err().code,
            "password.too_short"
        );
        assert!(super::check_new_password("long enough pass").is_ok());
        assert_eq!(
            super::check_new_password(&"x".repeat(300))
                .unwrap_err()
                .code,
            "password.too_long"
        );
    }
}
