//! The web app's words in the person's language. The words themselves are
//! Fluent catalogues in `courrier-i18n`; a missing key shows the key
//! itself, which the catalogue's tests catch.

use std::borrow::Cow;

use courrier_domain::Locale;
pub use courrier_i18n::Arg;

/// Translations for one request.
#[derive(Debug, Clone, Copy)]
pub struct L(pub Locale);

impl L {
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }

    /// The words of a key; the key itself when it has none.
    pub fn t<'a>(&self, key: &'a str) -> Cow<'a, str> {
        courrier_i18n::text(self.0, key).unwrap_or(Cow::Borrowed(key))
    }

    /// The words of a key with arguments (`{ $count }`, plurals); the key
    /// itself when it has none.
    pub fn t_args(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        courrier_i18n::text_args(self.0, key, args).unwrap_or_else(|| key.to_string())
    }

    /// What an error code means, without any one error's own message: the
    /// catalogue's text read with `$doc` set, so a text that is the error's
    /// message (`{ $message }`) gives its general meaning instead.
    pub fn meaning(&self, code: courrier_domain::Code) -> String {
        let key = format!("err.{code}");
        courrier_i18n::text_args(
            self.0,
            &key,
            &[("doc", Arg::Text("yes")), ("message", Arg::Text(""))],
        )
        .unwrap_or_default()
    }

    /// An error for a person: the translated text of its code when there is
    /// one (which may quote the error's own message as `{ $message }`).
    pub fn error(&self, e: &crate::error::ApiError) -> String {
        let key = format!("err.{}", e.body.code);
        courrier_i18n::text_args(self.0, &key, &[("message", Arg::Text(&e.body.message))])
            .unwrap_or_else(|| e.body.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_both_languages() {
        assert_eq!(L(Locale::Fr).t("nav.users"), "Utilisateurs");
        assert_eq!(L(Locale::En).t("nav.users"), "Users");
        assert_eq!(L(Locale::En).t("no.such.key"), "no.such.key");
        assert_eq!(L(Locale::Fr).t("2fa.code"), "Code");
    }

    #[test]
    fn every_webhook_delivery_error_has_words() {
        for e in courrier_store::DeliveryError::ALL {
            let key = format!("webhooks.error_{}", e.as_str());
            assert_ne!(L(Locale::En).t(&key), key);
            assert_ne!(L(Locale::Fr).t(&key), key);
        }
    }
}
