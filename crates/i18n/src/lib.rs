//! Courrier's words in every language. The catalogues are Fluent files,
//! `locales/<language>/<area>.ftl`, compiled into the binary by `build.rs`:
//! every folder of `locales/` is a language, named as [`Locale::as_str`]
//! names it, so a new language is a new folder (and its `Locale` value).
//!
//! Callers keep dotted keys (`err.item.state_changed`); [`message_id`]
//! turns them into Fluent message ids (`err-item-state_changed`). Nothing
//! is read from disk at run time.

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub use courrier_domain::Locale;

include!(concat!(env!("OUT_DIR"), "/catalogues.rs"));

/// Every language's catalogue files as compiled in: `(folder, [(file, text)])`.
pub fn catalogues() -> &'static [(&'static str, &'static [(&'static str, &'static str)])] {
    CATALOGUES
}

/// The folder of `locales/` that holds a language's words.
pub fn folder(locale: Locale) -> &'static str {
    locale.as_str()
}

/// The Fluent message id of a dotted key: dots become dashes, and a key
/// that does not start with a letter (`2fa.title`) gets a `k-` in front.
pub fn message_id(key: &str) -> String {
    let id = key.replace('.', "-");
    if id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id
    } else {
        format!("k-{id}")
    }
}

/// A value handed to a message: `{ $name }` in the Fluent text.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

impl From<usize> for Arg<'_> {
    fn from(n: usize) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<i32> for Arg<'_> {
    fn from(n: i32) -> Self {
        Arg::Number(i64::from(n))
    }
}

impl From<u32> for Arg<'_> {
    fn from(n: u32) -> Self {
        Arg::Number(i64::from(n))
    }
}

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<(&'static str, Bundle)>> = LazyLock::new(|| {
    CATALOGUES
        .iter()
        .map(|(lang, files)| {
            let id = lang.parse().unwrap_or_default();
            let mut bundle = Bundle::new_concurrent(vec![id]);
            // No U+2068/U+2069 around arguments: the words go into HTML and e-mails.
            bundle.set_use_isolating(false);
            for (_, text) in files.iter() {
                // A file with a syntax error keeps its good messages; a test
                // refuses any error, so none reaches a build that passed.
                let resource =
                    FluentResource::try_new((*text).to_string()).unwrap_or_else(|(r, _)| r);
                let _ = bundle.add_resource(resource);
            }
            (*lang, bundle)
        })
        .collect()
});

fn bundle(locale: Locale) -> Option<&'static Bundle> {
    let name = folder(locale);
    BUNDLES.iter().find(|(l, _)| *l == name).map(|(_, b)| b)
}

/// Whether a language has words for a key.
pub fn has(locale: Locale, key: &str) -> bool {
    bundle(locale).is_some_and(|b| b.has_message(&message_id(key)))
}

/// The words of a key in a language, `None` when the key has none.
pub fn text(locale: Locale, key: &str) -> Option<Cow<'static, str>> {
    let b = bundle(locale)?;
    let pattern = b.get_message(&message_id(key))?.value()?;
    let mut errors = Vec::new();
    Some(b.format_pattern(pattern, None, &mut errors))
}

/// The words of a key with its arguments (`{ $count }`, plurals).
pub fn text_args(locale: Locale, key: &str, args: &[(&str, Arg<'_>)]) -> Option<String> {
    let b = bundle(locale)?;
    let pattern = b.get_message(&message_id(key))?.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        let v = match *value {
            Arg::Text(s) => FluentValue::from(s),
            Arg::Number(n) => FluentValue::from(n),
        };
        fluent_args.set(*name, v);
    }
    let mut errors = Vec::new();
    Some(
        b.format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned(),
    )
}

/// The words of a key with its arguments, or the key itself when it has
/// none (a test makes sure every key asked for by name exists).
pub fn words(locale: Locale, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    text_args(locale, key, args).unwrap_or_else(|| key.to_string())
}
