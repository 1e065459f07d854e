//! Search queries parsed into words and phrases and written in each
//! engine's syntax, and the snippets coming back.

/// Opens a highlighted part of a snippet inside the database's answer.
pub(super) const MARK_START: char = '\u{E000}';
/// Closes it.
pub(super) const MARK_END: char = '\u{E001}';
/// Words and phrases a query keeps; the rest is ignored.
pub const MAX_QUERY_TERMS: usize = 16;
/// Characters of one word a query keeps.
const MAX_TERM_CHARS: usize = 64;

/// The order of search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchOrder {
    /// Newest first, in intake order, the default: a page reads only as
    /// many matches as it shows, however many there are (bench search).
    #[default]
    Newest,
    /// Best match first (SQLite `bm25`, PostgreSQL `ts_rank`), then newest:
    /// every match of the query is scored before the first page is known,
    /// so it costs more the more items match.
    Relevance,
}

impl SearchOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchOrder::Newest => "newest",
            SearchOrder::Relevance => "relevance",
        }
    }

    pub fn parse(s: &str) -> Option<SearchOrder> {
        match s {
            "newest" => Some(SearchOrder::Newest),
            "relevance" => Some(SearchOrder::Relevance),
            _ => None,
        }
    }
}

/// One word or quoted phrase of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    Word(String),
    Phrase(Vec<String>),
}

/// A full-text query: what a person typed, reduced to lower-case words of
/// letters and digits and `"quoted phrases"`. Every term must match (AND).
/// Punctuation separates words, so nothing typed reaches the engines'
/// query syntax.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub terms: Vec<SearchTerm>,
}

fn words_of(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

impl SearchQuery {
    /// Parses typed text: `"…"` groups a phrase (an unclosed quote runs to
    /// the end), everything else is words. At most [`MAX_QUERY_TERMS`]
    /// terms are kept.
    pub fn parse(raw: &str) -> SearchQuery {
        let mut terms = Vec::new();
        for (i, part) in raw.split('"').enumerate() {
            let words = words_of(part);
            if i % 2 == 1 {
                match words.len() {
                    0 => {}
                    1 => terms.extend(words.into_iter().map(SearchTerm::Word)),
                    _ => terms.push(SearchTerm::Phrase(words)),
                }
            } else {
                terms.extend(words.into_iter().map(SearchTerm::Word));
            }
        }
        terms.truncate(MAX_QUERY_TERMS);
        SearchQuery { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// FTS5 syntax: every term a double-quoted string (a phrase for several
    /// words), joined by AND.
    pub(super) fn to_fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                SearchTerm::Word(w) => format!("\"{w}\""),
                SearchTerm::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `to_tsquery` syntax: quoted lexemes, `<->` inside phrases, `&`
    /// between terms.
    pub(super) fn to_tsquery(&self) -> String {
        self.tsquery_joining_phrases_with(" <-> ")
    }

    /// Whether a term is a phrase (word order matters).
    pub(super) fn has_phrase(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t, SearchTerm::Phrase(_)))
    }

    /// [`Self::to_tsquery`] with every word of a phrase simply required
    /// (`&`): what PostgreSQL's GIN index answers exactly, without
    /// reading each row's `tsvector` for the word positions.
    pub(super) fn to_tsquery_words(&self) -> String {
        self.tsquery_joining_phrases_with(" & ")
    }

    fn tsquery_joining_phrases_with(&self, inside: &str) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                SearchTerm::Word(w) => format!("'{w}'"),
                SearchTerm::Phrase(ws) => format!(
                    "({})",
                    ws.iter()
                        .map(|w| format!("'{w}'"))
                        .collect::<Vec<_>>()
                        .join(inside)
                ),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// Part of a snippet: plain text, highlighted when it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetSpan {
    pub text: String,
    pub highlighted: bool,
}

/// Splits the engines' marked-up snippet into spans.
pub(super) fn snippet_spans(raw: &str) -> Vec<SnippetSpan> {
    let mut out: Vec<SnippetSpan> = Vec::new();
    let mut current = String::new();
    let mut highlighted = false;
    let flush = |text: &mut String, highlighted: bool, out: &mut Vec<SnippetSpan>| {
        if !text.is_empty() {
            out.push(SnippetSpan {
                text: std::mem::take(text),
                highlighted,
            });
        }
    };
    for c in raw.chars() {
        match c {
            MARK_START => {
                flush(&mut current, highlighted, &mut out);
                highlighted = true;
            }
            MARK_END => {
                flush(&mut current, highlighted, &mut out);
                highlighted = false;
            }
            c => current.push(c),
        }
    }
    flush(&mut current, highlighted, &mut out);
    out
}

/// Removes the snippet markers from text before it is stored.
pub(crate) fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_only_words_and_phrases() {
        let q = SearchQuery::parse(r#"Facture "payable dans 30 jours" OR -x* NEAR(a b) ""#);
        assert_eq!(
            q.terms,
            vec![
                SearchTerm::Word("facture".into()),
                SearchTerm::Phrase(vec![
                    "payable".into(),
                    "dans".into(),
                    "30".into(),
                    "jours".into()
                ]),
                SearchTerm::Word("or".into()),
                SearchTerm::Word("x".into()),
                SearchTerm::Word("near".into()),
                SearchTerm::Word("a".into()),
                SearchTerm::Word("b".into()),
            ]
        );
        assert_eq!(
            q.to_fts5(),
            r#""facture" AND "payable dans 30 jours" AND "or" AND "x" AND "near" AND "a" AND "b""#
        );
        assert_eq!(
            SearchQuery::parse("Zürich \"l'impôt\"").to_tsquery(),
            "'zürich' & ('l' <-> 'impôt')"
        );
        let q = SearchQuery::parse("Zürich \"l'impôt\"");
        assert!(q.has_phrase() && !SearchQuery::parse("Zürich impôt").has_phrase());
        assert_eq!(q.to_tsquery_words(), "'zürich' & ('l' & 'impôt')");
        assert!(SearchQuery::parse(" -- \"\" ' ").is_empty());
        assert_eq!(
            SearchQuery::parse(&"a ".repeat(40)).terms.len(),
            MAX_QUERY_TERMS
        );
    }

    #[test]
    fn snippets_split_into_spans() {
        let raw = format!("la {MARK_START}facture{MARK_END} de <mars>");
        assert_eq!(
            snippet_spans(&raw),
            vec![
                SnippetSpan {
                    text: "la ".into(),
                    highlighted: false
                },
                SnippetSpan {
                    text: "facture".into(),
                    highlighted: true
                },
                SnippetSpan {
                    text: " de <mars>".into(),
                    highlighted: false
                },
            ]
        );
        assert_eq!(clean_text(&raw), "la facture de <mars>");
    }
}
