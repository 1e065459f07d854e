//! Bulk PDFs split into letters, with no I/O: the pure pipeline behind bulk
//! runs ([`crate::runs`]) and the intake benchmark.
//!
//! The file is parsed once. Pages are read with one [`TextReader`] per thread,
//! so each font is decoded once per thread, to find where letters start: every
//! N pages, on each page whose text matches a marker, or on each page whose
//! address window holds an address. Each letter then becomes a document of its
//! own (only its pages, see [`PageTree::extract`]) and goes through the same
//! checks as a single upload ([`check_letter`]). Pages before the first start
//! are not dropped: they become a refused piece of their own.

use crate::intake::{IntakeContext, PageOffset, check_letter_with};
use crate::letters::{LetterInput, PreparedLetter};
use crate::{AppError, Result};
use courrier_documents::lopdf::Document;
use courrier_documents::{Finding, PageText, PageTree, PostalAddress, TextReader, split};
use courrier_domain::codes;
use courrier_domain::{Invalid, Timestamp};
use std::ops::Range;

/// Letters of a fixed length are at most this long.
pub const MAX_PAGES_PER_LETTER: u32 = 100;
/// Longest marker pattern accepted.
pub const MAX_MARKER_LEN: usize = 500;
/// Compiled size a marker may take (regex's own limit, against patterns
/// that would use a lot of memory).
const MARKER_SIZE_LIMIT: usize = 1 << 20;

/// How a bulk PDF is cut into letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitMethod {
    /// Every letter has this many pages (the last may be shorter).
    Pages(u32),
    /// A letter starts on each page whose text matches this regular expression.
    Marker(String),
    /// A letter starts on each page whose address window holds an address.
    Address,
}

impl SplitMethod {
    /// `pages:N`, `marker:REGEX` or `address`, as the CLI, the API and
    /// [`SplitMethod::code`] write it.
    pub fn parse(text: &str) -> Result<SplitMethod, Invalid> {
        let text = text.trim();
        if text == "address" {
            return Ok(SplitMethod::Address);
        }
        if let Some(n) = text.strip_prefix("pages:") {
            let n: u32 = n.trim().parse().map_err(|_| pages_invalid())?;
            return Ok(SplitMethod::Pages(n));
        }
        if let Some(pattern) = text.strip_prefix("marker:") {
            return Ok(SplitMethod::Marker(pattern.to_string()));
        }
        Err(Invalid::new(
            "method",
            codes::RUN_METHOD_INVALID,
            format!("'{text}' is not a way to split: use address, pages:N or marker:REGEX"),
        ))
    }

    pub fn code(&self) -> String {
        match self {
            SplitMethod::Pages(n) => format!("pages:{n}"),
            SplitMethod::Marker(pattern) => format!("marker:{pattern}"),
            SplitMethod::Address => "address".into(),
        }
    }
}

fn pages_invalid() -> Invalid {
    Invalid::new(
        "method",
        codes::RUN_PAGES_INVALID,
        format!(
            "the number of pages per letter must be a whole number from 1 to {MAX_PAGES_PER_LETTER}"
        ),
    )
}

/// A split method ready to use (the marker compiled).
#[derive(Debug, Clone)]
pub struct Splitter {
    method: SplitMethod,
    marker: Option<regex::Regex>,
}

impl Splitter {
    /// Checks the method: `run.pages_invalid`, `run.marker_invalid`.
    pub fn new(method: &SplitMethod) -> Result<Splitter, Invalid> {
        let marker = match method {
            SplitMethod::Pages(n) if *n == 0 || *n > MAX_PAGES_PER_LETTER => {
                return Err(pages_invalid());
            }
            SplitMethod::Marker(pattern) => {
                let invalid = |why: String| {
                    Invalid::new(
                        "marker",
                        codes::RUN_MARKER_INVALID,
                        format!("the marker is not a usable regular expression: {why}"),
                    )
                };
                if pattern.trim().is_empty() {
                    return Err(invalid("it is empty".into()));
                }
                if pattern.len() > MAX_MARKER_LEN {
                    return Err(invalid(format!(
                        "it is longer than {MAX_MARKER_LEN} characters"
                    )));
                }
                let compiled = regex::RegexBuilder::new(pattern)
                    .size_limit(MARKER_SIZE_LIMIT)
                    .dfa_size_limit(MARKER_SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        invalid(
                            e.to_string()
                                .lines()
                                .last()
                                .unwrap_or_default()
                                .trim()
                                .to_string(),
                        )
                    })?;
                Some(compiled)
            }
            _ => None,
        };
        Ok(Splitter {
            method: method.clone(),
            marker,
        })
    }

    pub fn method(&self) -> &SplitMethod {
        &self.method
    }
}

/// A page that starts a letter, with its text when it was read to decide.
#[derive(Debug, Clone)]
pub struct Start {
    /// 0-based.
    pub page: usize,
    pub text: Option<PageText>,
}

/// The pages of `range` (0-based) that start a letter.
pub fn find_starts(
    reader: &mut TextReader<'_>,
    range: Range<usize>,
    splitter: &Splitter,
    ctx: &IntakeContext,
) -> Vec<Start> {
    let mut starts = Vec::new();
    for page in range {
        match &splitter.method {
            SplitMethod::Pages(n) => {
                let n = usize::try_from(*n).unwrap_or(1).max(1);
                if page % n == 0 {
                    starts.push(Start { page, text: None });
                }
            }
            SplitMethod::Marker(_) => {
                let Ok(text) = reader.page_text(page) else {
                    continue;
                };
                if splitter
                    .marker
                    .as_ref()
                    .is_some_and(|m| m.is_match(&plain_text(&text)))
                {
                    starts.push(Start {
                        page,
                        text: Some(text),
                    });
                }
            }
            SplitMethod::Address => {
                let Ok(text) = reader.page_text(page) else {
                    continue;
                };
                if holds_address(&text, ctx) {
                    starts.push(Start {
                        page,
                        text: Some(text),
                    });
                }
            }
        }
    }
    starts
}

/// Whether the window of a page holds an address: one that reads, or one
/// that is recognisably an address but breaks a rule (a wrong postcode, an
/// unknown country), so that such a letter is refused on its own instead of
/// being glued to the letter before it. An empty window, or a single line,
/// is a following page.
fn holds_address(text: &PageText, ctx: &IntakeContext) -> bool {
    let Ok(window) = text.window(ctx.standard) else {
        return false;
    };
    let lines = window.address_lines();
    match PostalAddress::from_window_lines(&lines, ctx.sender_code) {
        Ok(_) => true,
        Err(f) => matches!(
            f.code,
            codes::ADDRESS_POSTCODE_INVALID
                | codes::ADDRESS_COUNTRY_UNKNOWN
                | codes::ADDRESS_LOCALITY_MISSING
                | codes::ADDRESS_RECIPIENT_MISSING
        ),
    }
}

/// The text of a page in drawing order: a line break where the baseline
/// moves, a space where a gap is wider than a fifth of the font size.
pub fn plain_text(text: &PageText) -> String {
    let mut out = String::new();
    let mut previous: Option<&courrier_documents::TextRun> = None;
    for run in &text.runs {
        if let Some(prev) = previous {
            let em = prev.font_size.max(run.font_size).max(1.0);
            if (prev.y - run.y).abs() > 0.3 * em {
                out.push('\n');
            } else if run.x - prev.end_x > 0.2 * em {
                out.push(' ');
            }
        }
        out.push_str(&run.text);
        previous = Some(run);
    }
    out
}

/// One part of the file: a letter, or pages before the first letter start.
#[derive(Debug, Clone)]
pub enum Piece {
    Letter {
        first: usize,
        last: usize,
        text: Option<PageText>,
    },
    Orphan {
        first: usize,
        last: usize,
    },
}

impl Piece {
    pub fn pages(&self) -> (usize, usize) {
        match self {
            Piece::Letter { first, last, .. } | Piece::Orphan { first, last } => (*first, *last),
        }
    }

    /// "page 3" or "pages 3-4" (1-based), as a run item shows it.
    pub fn source(&self) -> String {
        let (first, last) = self.pages();
        if first == last {
            format!("page {}", first + 1)
        } else {
            format!("pages {}-{}", first + 1, last + 1)
        }
    }
}

/// Cuts `page_count` pages at `starts` (sorted by page).
pub fn pieces(page_count: usize, starts: Vec<Start>) -> Vec<Piece> {
    let mut out = Vec::with_capacity(starts.len() + 1);
    if page_count == 0 {
        return out;
    }
    let first_start = starts.first().map_or(page_count, |s| s.page);
    if first_start > 0 {
        out.push(Piece::Orphan {
            first: 0,
            last: first_start - 1,
        });
    }
    let mut iter = starts.into_iter().peekable();
    while let Some(start) = iter.next() {
        let end = iter.peek().map_or(page_count, |next| next.page);
        if end > start.page {
            out.push(Piece::Letter {
                first: start.page,
                last: end - 1,
                text: start.text,
            });
        }
    }
    out
}

/// Problems that concern the file as a whole (not one page): a password,
/// no pages, JavaScript or embedded files in the document catalogue. Page
/// problems are left to each letter's own checks.
pub fn whole_file_problems(doc: &Document, ctx: &IntakeContext) -> Vec<Invalid> {
    match courrier_documents::inspect_document(doc, &ctx.limits) {
        Ok(_) => Vec::new(),
        Err(findings) => findings
            .iter()
            .filter(|f| f.is_error() && f.page.is_none())
            .map(Finding::to_invalid)
            .collect(),
    }
}

/// What became of one piece.
#[derive(Debug)]
pub struct PieceResult {
    /// 1-based position of the piece in the file.
    pub seq: usize,
    pub source: String,
    pub outcome: Result<(PreparedLetter, Option<Vec<u8>>), Vec<Invalid>>,
}

/// The reasons of an error, as a run item lists them.
pub fn reasons_of(e: AppError) -> Vec<Invalid> {
    match e {
        AppError::Findings(list) if !list.is_empty() => list,
        AppError::Invalid(i) => vec![i],
        other => vec![Invalid::new(
            "letter",
            codes::LETTER_REFUSED,
            other.to_string(),
        )],
    }
}

/// One line per reason: `code: message`.
pub fn reasons_text(reasons: &[Invalid]) -> String {
    reasons
        .iter()
        .map(|r| format!("{}: {}", r.code, r.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Settings of one pass over a file.
#[derive(Debug, Clone)]
pub struct PassOptions {
    pub created_by: String,
    pub now: Timestamp,
    /// Keep each accepted letter's PDF (to store it); the benchmark does not.
    pub keep_pdf: bool,
    /// Worker threads (at least one).
    pub threads: usize,
    /// The product of letters that turn out to go abroad (see
    /// [`check_letter_with`]); `None` keeps the input's product for all.
    pub abroad: Option<courrier_domain::letters::Product>,
}

/// Checks one piece of a file.
#[allow(clippy::too_many_arguments)]
pub fn check_piece(
    doc: &Document,
    tree: &PageTree,
    reader: &mut TextReader<'_>,
    piece: &Piece,
    seq: usize,
    ctx: &IntakeContext,
    input: &LetterInput,
    options: &PassOptions,
) -> PieceResult {
    let source = piece.source();
    let outcome = match piece {
        Piece::Orphan { last, .. } => Err(vec![Invalid::new(
            "document",
            codes::RUN_NO_LETTER_START,
            format!(
                "no letter start before page {}: these pages belong to no letter",
                last + 2
            ),
        )]),
        Piece::Letter { first, last, text } => {
            let read;
            let text = match text {
                Some(t) => Some(t),
                None => {
                    read = reader.page_text(*first).ok();
                    read.as_ref()
                }
            };
            match tree.extract(doc, *first, *last) {
                None => Err(vec![Invalid::new(
                    "document",
                    codes::PDF_PAGE_MISSING,
                    format!("{source} could not be read"),
                )]),
                Some(mut letter) => {
                    let offset = PageOffset(u32::try_from(*first).unwrap_or(u32::MAX));
                    match check_letter_with(
                        ctx,
                        &letter,
                        text,
                        input,
                        options.abroad,
                        &options.created_by,
                        options.now,
                        offset,
                    ) {
                        Ok(prepared) => {
                            let pdf = options.keep_pdf.then(|| split::to_bytes(&mut letter));
                            Ok((prepared, pdf))
                        }
                        Err(e) => Err(reasons_of(e)),
                    }
                }
            }
        }
    };
    PieceResult {
        seq,
        source,
        outcome,
    }
}

/// Where each step of a pass over a file runs: reading the file, finding
/// where its letters start, then each letter. A bulk run gives each step a
/// place on the document workers and a budget of its own
/// ([`crate::workers::DocumentWorkers::run_here`]), so a slow or hostile
/// letter fails alone and no run holds more than one place at a time; the
/// benchmark runs the steps as they come ([`AsTheyCome`]).
pub trait Steps: Sync {
    /// Runs `work`; refused (`pdf.too_slow`, `pdf.too_much_data`) when no
    /// place came in time or the step's budget ran out.
    fn run(&self, work: &mut dyn FnMut()) -> Result<(), Finding>;
}

/// Steps run on the calling thread, without a budget of their own.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsTheyCome;

impl Steps for AsTheyCome {
    fn run(&self, work: &mut dyn FnMut()) -> Result<(), Finding> {
        work();
        Ok(())
    }
}

/// Splits a loaded file and checks every letter, on `options.threads`
/// threads. `on_total` hears the number of pieces once they are known;
/// `skip(seq)` leaves out pieces already handled (a retried run);
/// `on_piece` hears each result as soon as it is ready (from any thread, so
/// not in order) and returns false to stop early.
#[allow(clippy::too_many_arguments)]
pub fn process_file(
    doc: &Document,
    ctx: &IntakeContext,
    splitter: &Splitter,
    input: &LetterInput,
    options: &PassOptions,
    on_total: impl FnOnce(usize),
    skip: &(dyn Fn(usize) -> bool + Sync),
    on_piece: &(dyn Fn(PieceResult) -> bool + Sync),
) {
    // Steps run as they come are never refused.
    let _ = process_file_in(
        &AsTheyCome,
        doc,
        ctx,
        splitter,
        input,
        options,
        on_total,
        skip,
        on_piece,
    );
}

/// [`process_file`] with each step run by `steps`: finding where letters
/// start is one step (refused: the whole file is, before `on_total`), each
/// letter another (refused: that letter is, with the step's reason, and
/// the others go on).
#[allow(clippy::too_many_arguments)]
pub fn process_file_in(
    steps: &dyn Steps,
    doc: &Document,
    ctx: &IntakeContext,
    splitter: &Splitter,
    input: &LetterInput,
    options: &PassOptions,
    on_total: impl FnOnce(usize),
    skip: &(dyn Fn(usize) -> bool + Sync),
    on_piece: &(dyn Fn(PieceResult) -> bool + Sync),
) -> Result<(), Vec<Invalid>> {
    let tree = PageTree::new(doc);
    let page_count = tree.page_count();
    let threads = options.threads.clamp(1, 64);
    // 1. Where letters start, the pages shared out between threads (which
    // work within the step's budget).
    let chunk = page_count.div_ceil(threads).max(1);
    let mut starts: Vec<Start> = Vec::new();
    steps
        .run(&mut || {
            let budget = courrier_documents::Budget::current();
            starts = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let range = (t * chunk).min(page_count)..((t + 1) * chunk).min(page_count);
                        let budget = budget.clone();
                        s.spawn(move || {
                            let _entered = budget.as_ref().map(courrier_documents::Budget::enter);
                            find_starts(&mut TextReader::new(doc), range, splitter, ctx)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            });
        })
        .map_err(|f| vec![f.to_invalid()])?;
    starts.sort_by_key(|s| s.page);
    let pieces = pieces(page_count, starts);
    on_total(pieces.len());
    // 2. Each letter on its own, pieces dealt out in turn so results come
    // roughly in order.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (pieces, tree, stop) = (&pieces, &tree, &stop);
            s.spawn(move || {
                let mut reader = TextReader::new(doc);
                for (i, piece) in pieces.iter().enumerate().skip(t).step_by(threads) {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let seq = i + 1;
                    if skip(seq) {
                        continue;
                    }
                    let mut checked = None;
                    let ran = steps.run(&mut || {
                        checked = Some(check_piece(
                            doc,
                            tree,
                            &mut reader,
                            piece,
                            seq,
                            ctx,
                            input,
                            options,
                        ));
                    });
                    let result = match (ran, checked) {
                        (Ok(()), Some(result)) => result,
                        (Err(refusal), _) => PieceResult {
                            seq,
                            source: piece.source(),
                            outcome: Err(vec![refusal.to_invalid()]),
                        },
                        (Ok(()), None) => PieceResult {
                            seq,
                            source: piece.source(),
                            outcome: Err(vec![Invalid::new(
                                "document",
                                codes::LETTER_REFUSED,
                                "the letter was not checked",
                            )]),
                        },
                    };
                    if !on_piece(result) {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests;
