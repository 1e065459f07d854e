//! The catalogues are complete: every language has the same messages, every
//! key the web layer and the e-mails ask for exists, and every error code it can show has
//! words in every language.

#![allow(clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use courrier_i18n::{Arg, Locale, catalogues, has, message_id, text, text_args};
use fluent_syntax::ast::Entry;

type Ids = BTreeMap<String, BTreeSet<String>>;

/// A language's message and term ids, each with its attribute names.
fn ids(files: &[(&str, &str)]) -> Ids {
    let mut ids = Ids::new();
    for (name, source) in files {
        let resource = match fluent_syntax::parser::parse(*source) {
            Ok(r) => r,
            Err((_, errors)) => panic!("{name}: {errors:?}"),
        };
        for entry in resource.body {
            let (id, attributes) = match entry {
                Entry::Message(m) => (m.id.name.to_string(), m.attributes),
                Entry::Term(t) => (format!("-{}", t.id.name), t.attributes),
                Entry::Junk { content } => panic!("{name}: junk {content}"),
                _ => continue,
            };
            let attrs = attributes.iter().map(|a| a.id.name.to_string()).collect();
            assert!(
                ids.insert(id.clone(), attrs).is_none(),
                "{name}: {id} twice"
            );
        }
    }
    ids
}

#[test]
fn every_language_has_the_same_messages() {
    let all = catalogues();
    let (first, first_files) = all.first().expect("a language");
    let reference = ids(first_files);
    assert!(reference.len() > 800, "{} messages", reference.len());
    for (lang, files) in all {
        let names: Vec<_> = files.iter().map(|f| f.0).collect();
        let first_names: Vec<_> = first_files.iter().map(|f| f.0).collect();
        assert_eq!(names, first_names, "{lang} and {first} split differently");
        let these = ids(files);
        let missing: Vec<_> = reference
            .keys()
            .filter(|k| !these.contains_key(*k))
            .collect();
        let extra: Vec<_> = these
            .keys()
            .filter(|k| !reference.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has only it {extra:?}");
        assert_eq!(these, reference, "{lang}: attributes differ from {first}");
    }
}

#[test]
fn every_locale_is_a_folder() {
    for locale in Locale::ALL {
        assert!(
            catalogues()
                .iter()
                .any(|(l, _)| *l == courrier_i18n::folder(locale)),
            "no locales/{} folder",
            locale.as_str()
        );
        assert!(has(locale, "nav.home"));
    }
}

#[test]
fn keys_map_to_fluent_ids() {
    assert_eq!(
        message_id("err.item.state_changed"),
        "err-item-state_changed"
    );
    assert_eq!(message_id("2fa.title"), "k-2fa-title");
    assert_eq!(text(Locale::Fr, "2fa.submit").as_deref(), Some("Vérifier"));
    assert_eq!(text(Locale::En, "no.such.key"), None);
}

#[test]
fn arguments_carry_no_isolation_marks_and_plurals_follow_the_language() {
    let pages = |l, n: usize| text_args(l, "letter.page_count", &[("count", Arg::from(n))]);
    assert_eq!(pages(Locale::En, 1).as_deref(), Some("1 page"));
    assert_eq!(pages(Locale::En, 3).as_deref(), Some("3 pages"));
    assert_eq!(pages(Locale::Fr, 1).as_deref(), Some("1 page"));
    assert_eq!(pages(Locale::Fr, 2).as_deref(), Some("2 pages"));
    let n = |l, n: usize| text_args(l, "letter.attachment_count", &[("count", Arg::from(n))]);
    assert_eq!(n(Locale::Fr, 2).as_deref(), Some("2 annexes"));
    let m = "the input was refused";
    let en = text_args(
        Locale::En,
        "err.input.invalid",
        &[("message", Arg::Text(m))],
    );
    assert_eq!(en.as_deref(), Some(m));
    for (lang, files) in catalogues() {
        for (name, source) in files.iter() {
            assert!(!source.contains(['\u{2068}', '\u{2069}']), "{lang}/{name}");
        }
    }
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "html" || e == "txt")
        {
            out.push(path);
        }
    }
}

fn assert_everywhere(key: &str, from: &Path) {
    for locale in Locale::ALL {
        assert!(
            has(locale, key),
            "{}: `{key}` has no {} words",
            from.display(),
            locale.as_str()
        );
    }
}

/// Every key the web layer asks for by name, in code and templates.
#[test]
fn every_key_the_web_uses_exists() {
    let call = regex::Regex::new(r#"\.t(?:_args)?\(\s*"([^"]+)""#).expect("regex");
    let mut files = Vec::new();
    files_under(&crates_dir().join("web/src"), &mut files);
    files_under(&crates_dir().join("web/templates"), &mut files);
    let mut seen = 0;
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable");
        for key in call.captures_iter(&source).filter_map(|c| c.get(1)) {
            if key.as_str() == "no.such.key" {
                continue;
            }
            assert_everywhere(key.as_str(), &path);
            seen += 1;
        }
    }
    assert!(
        seen > 500,
        "only {seen} calls found: did the call shape change?"
    );
}

/// Every key the use cases ask for by name: the e-mails of `courrier-app`.
#[test]
fn every_key_the_app_uses_exists() {
    let call = regex::Regex::new(r#"\bwords\(\s*[a-z_.]+,\s*"([^"]+)""#).expect("regex");
    let mut files = Vec::new();
    files_under(&crates_dir().join("app/src"), &mut files);
    let mut seen = 0;
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable");
        for key in call.captures_iter(&source).filter_map(|c| c.get(1)) {
            assert_everywhere(key.as_str(), &path);
            seen += 1;
        }
    }
    assert!(
        seen > 30,
        "only {seen} calls found: did the call shape change?"
    );
}

/// Every error code of the registry (`courrier_domain::codes::ALL`: every
/// code any crate can return, see `courrier-web`'s `L::error`) has words in
/// every language, and a meaning of its own (read with `$doc`) for the list
/// of codes, `GET /api/v1/errors`.
#[test]
fn every_error_code_has_words() {
    let codes = courrier_domain::codes::ALL;
    assert!(codes.len() > 250, "only {} codes", codes.len());
    let from = crates_dir().join("domain/src/codes");
    for code in codes {
        let key = format!("err.{code}");
        assert_everywhere(&key, &from);
        for locale in Locale::ALL {
            let meaning = text_args(
                locale,
                &key,
                &[("doc", Arg::Text("yes")), ("message", Arg::Text(""))],
            )
            .unwrap_or_default();
            assert!(
                !meaning.trim().is_empty(),
                "`{key}` means nothing in {} without its message",
                locale.as_str()
            );
        }
    }
    // Every `err-…` message is a code of the registry.
    for (lang, files) in catalogues() {
        for (name, source) in files.iter() {
            for line in source.lines() {
                let Some(id) = line.strip_prefix("err-") else {
                    continue;
                };
                let id = id.split([' ', '=']).next().unwrap_or_default();
                let code = id.replace('-', ".");
                assert!(
                    courrier_domain::Code::parse(&code).is_some(),
                    "{lang}/{name}: err-{id} is not in courrier_domain::codes"
                );
            }
        }
    }
}
