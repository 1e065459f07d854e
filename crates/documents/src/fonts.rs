//! What the text reader needs from a PDF font: how to cut a string into
//! character codes, what each code means in Unicode and how far it advances.
//!
//! Unicode comes from the font's /ToUnicode CMap when it has one (bfchar and
//! bfrange), else, for simple fonts, from its encoding (WinAnsi, MacRoman or
//! Standard, with /Differences resolved through the Adobe Glyph List).
//! Widths come from /Widths (simple fonts), /W and /DW (CID fonts), or the
//! built-in metrics of the standard 14 fonts. A font that cannot be
//! understood still reads: unknown codes become U+FFFD and unknown widths a
//! plausible default, so a damaged font never stops a letter by itself.

use crate::font_tables::{
    GLYPH_NAMES, HELVETICA, HELVETICA_BOLD, HELVETICA_BOLD_OBLIQUE, HELVETICA_OBLIQUE, MAC_ROMAN,
    STANDARD, TIMES_BOLD, TIMES_BOLD_ITALIC, TIMES_ITALIC, TIMES_ROMAN, WIN_ANSI,
};
use crate::inspect::strip_subset_prefix;
use crate::objects::{get, get_array, get_dict, get_name, get_number, number, number_in, resolve};
use lopdf::{Dictionary, Document, Object};
use std::collections::HashMap;

/// Upper bounds that keep a hostile CMap or /W array from costing much.
const MAX_CMAP_BYTES: usize = 4 * 1024 * 1024;
const MAX_CMAP_ENTRIES: usize = 200_000;
const MAX_WIDTH_ENTRIES: usize = 200_000;

const REPLACEMENT: char = '\u{FFFD}';

/// One decoded glyph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glyph {
    /// Advance in text space for a font size of 1 (before Tc, Tw, Tz).
    pub width: f32,
    /// The code is the single byte 32, to which word spacing (Tw) applies.
    pub word_space: bool,
}

/// A font, read once and shared by every page that uses it.
#[derive(Debug, Clone)]
pub(crate) struct Font {
    codes: CodeSpace,
    to_unicode: Option<CMap>,
    /// Simple fonts: code → Unicode scalar from the encoding (0 = none).
    encoding: Option<Box<[u16; 256]>>,
    widths: Widths,
    /// Glyph-space units to text space: 1/1000, or a Type3 font's FontMatrix.
    scale: f32,
}

#[derive(Debug, Clone)]
enum CodeSpace {
    OneByte,
    TwoByte,
    Ranges(Vec<CodeRange>),
}

#[derive(Debug, Clone, Copy)]
struct CodeRange {
    len: u8,
    lo: u32,
    hi: u32,
}

#[derive(Debug, Clone)]
enum Widths {
    Simple {
        first: u32,
        widths: Vec<f32>,
        missing: f32,
        fallback: Option<Std14>,
    },
    Cid {
        default: f32,
        single: HashMap<u32, f32>,
        ranges: Vec<(u32, u32, f32)>,
    },
    Std14(Std14),
    Fixed(f32),
}

#[derive(Debug, Clone, Copy)]
enum Std14 {
    Table(&'static [(u16, u16)]),
    Courier,
}

impl Std14 {
    fn width(self, text: &str) -> f32 {
        match self {
            Std14::Courier => 600.0,
            Std14::Table(table) => {
                let mut chars = text.chars();
                let found = match (chars.next(), chars.next()) {
                    (Some(c), None) => u16::try_from(u32::from(c))
                        .ok()
                        .and_then(|u| table.binary_search_by_key(&u, |(k, _)| *k).ok())
                        .and_then(|i| table.get(i))
                        .map(|(_, w)| f32::from(*w)),
                    _ => None,
                };
                found.unwrap_or(556.0)
            }
        }
    }

    /// Built-in metrics for a standard font name (and the usual metric
    /// twins: Arial is Helvetica, Times New Roman is Times).
    fn for_name(base_font: &[u8]) -> Option<Std14> {
        let name = String::from_utf8_lossy(strip_subset_prefix(base_font)).to_ascii_lowercase();
        let bold = name.contains("bold");
        let slanted = name.contains("italic") || name.contains("oblique");
        if name.starts_with("courier") {
            return Some(Std14::Courier);
        }
        let table = if name.starts_with("helvetica") || name.starts_with("arial") {
            match (bold, slanted) {
                (false, false) => HELVETICA,
                (true, false) => HELVETICA_BOLD,
                (false, true) => HELVETICA_OBLIQUE,
                (true, true) => HELVETICA_BOLD_OBLIQUE,
            }
        } else if name.starts_with("times") {
            match (bold, slanted) {
                (false, false) => TIMES_ROMAN,
                (true, false) => TIMES_BOLD,
                (false, true) => TIMES_ITALIC,
                (true, true) => TIMES_BOLD_ITALIC,
            }
        } else {
            return None;
        };
        Some(Std14::Table(table))
    }
}

impl Font {
    /// Reads a font dictionary. Never fails: what cannot be read falls back.
    pub(crate) fn from_dict(doc: &Document, font: &Dictionary, max_stream: usize) -> Font {
        let subtype = get_name(doc, font, b"Subtype").unwrap_or(b"Type1");
        let to_unicode = get(doc, font, b"ToUnicode").and_then(|o| match o {
            Object::Stream(s) => s
                .get_plain_content_with_limit(max_stream.min(MAX_CMAP_BYTES))
                .ok()
                .filter(|bytes| crate::budget::charge(bytes.len()).is_ok()),
            _ => None,
        });
        let to_unicode = to_unicode.map(|bytes| CMap::parse(&bytes));
        if subtype == b"Type0" {
            Self::composite(doc, font, to_unicode, max_stream)
        } else {
            Self::simple(doc, font, subtype, to_unicode)
        }
    }

    fn simple(doc: &Document, font: &Dictionary, subtype: &[u8], to_unicode: Option<CMap>) -> Font {
        let base_font = get_name(doc, font, b"BaseFont").unwrap_or_default();
        let std14 = Std14::for_name(base_font);
        let descriptor = get_dict(doc, font, b"FontDescriptor");
        let symbolic = matches!(strip_subset_prefix(base_font), b"Symbol" | b"ZapfDingbats");

        // Base encoding: named, or a dictionary with /BaseEncoding and /Differences.
        let default_table = if subtype == b"Type1" && !symbolic {
            &STANDARD
        } else {
            &WIN_ANSI
        };
        let table_for = |name: &[u8]| match name {
            b"WinAnsiEncoding" => &WIN_ANSI,
            b"MacRomanEncoding" => &MAC_ROMAN,
            b"StandardEncoding" => &STANDARD,
            _ => default_table,
        };
        let mut encoding = Box::new(*default_table);
        match get(doc, font, b"Encoding") {
            Some(Object::Name(name)) => *encoding = *table_for(name),
            Some(Object::Dictionary(dict)) => {
                if let Some(base) = get_name(doc, dict, b"BaseEncoding") {
                    *encoding = *table_for(base);
                }
                if let Some(differences) = get_array(doc, dict, b"Differences") {
                    apply_differences(doc, differences, &mut encoding);
                }
            }
            _ => {}
        }

        let scale = if subtype == b"Type3" {
            get_array(doc, font, b"FontMatrix")
                .and_then(|m| m.first())
                .and_then(|a| number_in(doc, a))
                .filter(|a| a.abs() > 0.0)
                .unwrap_or(0.001)
        } else {
            0.001
        };

        let widths = match get_array(doc, font, b"Widths") {
            Some(values) => {
                let first =
                    get_number(doc, font, b"FirstChar").map_or(0, |f| f.clamp(0.0, 255.0) as u32);
                let widths = values
                    .iter()
                    .take(256)
                    .map(|w| number_in(doc, w).unwrap_or(0.0))
                    .collect();
                let missing = descriptor
                    .and_then(|d| get_number(doc, d, b"MissingWidth"))
                    .unwrap_or(0.0);
                Widths::Simple {
                    first,
                    widths,
                    missing,
                    fallback: std14,
                }
            }
            None => match std14 {
                Some(s) => Widths::Std14(s),
                None => Widths::Fixed(
                    descriptor
                        .and_then(|d| {
                            get_number(doc, d, b"AvgWidth")
                                .or_else(|| get_number(doc, d, b"MissingWidth"))
                        })
                        .filter(|w| *w > 0.0)
                        .unwrap_or(500.0),
                ),
            },
        };
        Font {
            codes: CodeSpace::OneByte,
            to_unicode,
            encoding: Some(encoding),
            widths,
            scale,
        }
    }

    fn composite(
        doc: &Document,
        font: &Dictionary,
        to_unicode: Option<CMap>,
        max_stream: usize,
    ) -> Font {
        // The code length comes from the encoding CMap: Identity-H/V and the
        // other predefined UCS-2 CMaps use two bytes; an embedded CMap states
        // its code space; failing that, the ToUnicode code space is a guide.
        let codes = match get(doc, font, b"Encoding") {
            Some(Object::Stream(s)) => s
                .get_plain_content_with_limit(max_stream.min(MAX_CMAP_BYTES))
                .ok()
                .map(|bytes| CMap::parse(&bytes).codespace)
                .filter(|ranges| !ranges.is_empty())
                .map_or(CodeSpace::TwoByte, CodeSpace::Ranges),
            Some(Object::Name(name)) if name.starts_with(b"Identity") => CodeSpace::TwoByte,
            _ => match to_unicode.as_ref().map(|c| c.codespace.clone()) {
                Some(ranges) if !ranges.is_empty() => CodeSpace::Ranges(ranges),
                _ => CodeSpace::TwoByte,
            },
        };
        let descendant = get_array(doc, font, b"DescendantFonts")
            .and_then(|a| a.first())
            .and_then(|d| match resolve(doc, d) {
                Object::Dictionary(dict) => Some(dict),
                _ => None,
            });
        let widths = match descendant {
            Some(cid_font) => cid_widths(doc, cid_font),
            None => Widths::Fixed(1000.0),
        };
        Font {
            codes,
            to_unicode,
            encoding: None,
            widths,
            scale: 0.001,
        }
    }

    /// Decodes a shown string: appends its text to `out` and calls `advance`
    /// once per glyph, in order.
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut String, mut advance: impl FnMut(Glyph)) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let len = self.code_len(rest);
            let (code_bytes, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            let code = code_bytes
                .iter()
                .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            let start = out.len();
            let mapped = self
                .to_unicode
                .as_ref()
                .is_some_and(|cmap| cmap.lookup(code, code_bytes.len(), out));
            if !mapped {
                let scalar = self
                    .encoding
                    .as_ref()
                    .and_then(|table| table.get(code as usize).copied())
                    .filter(|u| *u != 0)
                    .and_then(|u| char::from_u32(u32::from(u)))
                    .unwrap_or(REPLACEMENT);
                out.push(scalar);
            }
            let width = self.width(code, out.get(start..).unwrap_or_default());
            advance(Glyph {
                width: width * self.scale,
                word_space: code_bytes == [32],
            });
        }
    }

    fn code_len(&self, bytes: &[u8]) -> usize {
        match &self.codes {
            CodeSpace::OneByte => 1,
            CodeSpace::TwoByte => 2,
            CodeSpace::Ranges(ranges) => {
                let mut code = 0u32;
                for (i, b) in bytes.iter().take(4).enumerate() {
                    code = (code << 8) | u32::from(*b);
                    let len = i + 1;
                    if ranges
                        .iter()
                        .any(|r| usize::from(r.len) == len && r.lo <= code && code <= r.hi)
                    {
                        return len;
                    }
                }
                ranges
                    .iter()
                    .map(|r| usize::from(r.len))
                    .min()
                    .unwrap_or(1)
                    .max(1)
            }
        }
    }

    fn width(&self, code: u32, text: &str) -> f32 {
        match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
                fallback,
            } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize).copied())
                .unwrap_or_else(|| fallback.map_or(*missing, |s| s.width(text))),
            Widths::Cid {
                default,
                single,
                ranges,
            } => single.get(&code).copied().unwrap_or_else(|| {
                ranges
                    .iter()
                    .find(|(lo, hi, _)| *lo <= code && code <= *hi)
                    .map_or(*default, |(_, _, w)| *w)
            }),
            Widths::Std14(s) => s.width(text),
            Widths::Fixed(w) => *w,
        }
    }
}

/// /DW and /W of a CIDFont (PDF 32000-1, 9.7.4.3). The CID is taken to be
/// the code, which is exact for Identity encodings.
fn cid_widths(doc: &Document, cid_font: &Dictionary) -> Widths {
    let default = get_number(doc, cid_font, b"DW").unwrap_or(1000.0);
    let mut single = HashMap::new();
    let mut ranges = Vec::new();
    if let Some(w) = get_array(doc, cid_font, b"W") {
        let mut i = 0;
        let mut entries = 0usize;
        while let Some(first) = w.get(i).and_then(|o| number_in(doc, o)) {
            let first = first.max(0.0) as u32;
            match w.get(i + 1).map(|o| resolve(doc, o)) {
                Some(Object::Array(list)) => {
                    for (k, width) in list.iter().enumerate() {
                        if entries >= MAX_WIDTH_ENTRIES {
                            break;
                        }
                        if let Some(width) = number_in(doc, width) {
                            single.insert(first.saturating_add(k as u32), width);
                            entries += 1;
                        }
                    }
                    i += 2;
                }
                Some(last) => {
                    let (Some(last), Some(width)) =
                        (number(last), w.get(i + 2).and_then(|o| number_in(doc, o)))
                    else {
                        break;
                    };
                    ranges.push((first, last.max(0.0) as u32, width));
                    i += 3;
                }
                None => break,
            }
            if entries >= MAX_WIDTH_ENTRIES || ranges.len() >= MAX_WIDTH_ENTRIES {
                break;
            }
        }
    }
    Widths::Cid {
        default,
        single,
        ranges,
    }
}

/// /Differences: `[code /name /name code /name ...]`.
fn apply_differences(doc: &Document, differences: &[Object], table: &mut [u16; 256]) {
    let mut code: Option<usize> = None;
    for item in differences {
        match resolve(doc, item) {
            Object::Integer(n) => code = usize::try_from(*n).ok(),
            Object::Name(name) => {
                if let Some(c) = code {
                    if let Some(slot) = table.get_mut(c) {
                        *slot = glyph_unicode(name).unwrap_or(0);
                    }
                    code = Some(c + 1);
                }
            }
            _ => {}
        }
    }
}

/// A glyph name's Unicode value: the Adobe Glyph List, `uniXXXX`, `uXXXX`.
pub(crate) fn glyph_unicode(name: &[u8]) -> Option<u16> {
    let name = std::str::from_utf8(name).ok()?;
    // "a.sc", "f_i" and the like: the part before the first dot names the glyph.
    let base = name.split('.').next().unwrap_or(name);
    if let Ok(i) = GLYPH_NAMES.binary_search_by(|(k, _)| k.cmp(&base)) {
        return GLYPH_NAMES.get(i).map(|(_, u)| *u);
    }
    let hex = base
        .strip_prefix("uni")
        .or_else(|| base.strip_prefix('u'))?;
    if hex.len() >= 4 && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        let digits = hex.get(..4)?;
        return u16::from_str_radix(digits, 16).ok();
    }
    None
}

/// A ToUnicode (or encoding) CMap: code space and code → text mappings.
#[derive(Debug, Clone, Default)]
pub(crate) struct CMap {
    codespace: Vec<CodeRange>,
    chars: HashMap<(u32, u8), String>,
    ranges: Vec<BfRange>,
}

#[derive(Debug, Clone)]
struct BfRange {
    lo: u32,
    hi: u32,
    len: u8,
    target: BfTarget,
}

#[derive(Debug, Clone)]
enum BfTarget {
    /// The first code maps to these UTF-16 units; the next codes increment
    /// the last unit.
    Start(Vec<u16>),
    /// One string per code.
    List(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Hex(Vec<u8>),
    Number(i64),
    Word(&'a [u8]),
    Open,
    Close,
}

impl CMap {
    /// Parses the parts of a CMap the reader needs. Malformed input gives a
    /// partial map, never an error.
    pub(crate) fn parse(bytes: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut tokens = Tokens { bytes, pos: 0 };
        let mut entries = 0usize;
        while let Some(token) = tokens.next() {
            let Token::Word(word) = token else { continue };
            match word {
                b"begincodespacerange" => {
                    while let (Some(Token::Hex(lo)), Some(Token::Hex(hi))) =
                        (tokens.next(), tokens.next())
                    {
                        if let (Some((lo, len)), Some((hi, _))) = (code_of(&lo), code_of(&hi)) {
                            cmap.codespace.push(CodeRange { len, lo, hi });
                        }
                    }
                }
                b"beginbfchar" => {
                    while let (Some(Token::Hex(src)), Some(Token::Hex(dst))) =
                        (tokens.next(), tokens.next())
                    {
                        if let Some((code, len)) = code_of(&src) {
                            cmap.chars.insert((code, len), utf16_to_string(&dst));
                        }
                        entries += 1;
                        if entries > MAX_CMAP_ENTRIES {
                            return cmap;
                        }
                    }
                }
                b"beginbfrange" => {
                    while let (Some(Token::Hex(lo)), Some(Token::Hex(hi))) =
                        (tokens.next(), tokens.next())
                    {
                        let target = match tokens.next() {
                            Some(Token::Hex(dst)) => BfTarget::Start(utf16_units(&dst)),
                            Some(Token::Open) => {
                                let mut list = Vec::new();
                                while let Some(Token::Hex(dst)) = tokens.next() {
                                    if list.len() < 65_536 {
                                        list.push(utf16_to_string(&dst));
                                    }
                                }
                                BfTarget::List(list)
                            }
                            _ => break,
                        };
                        if let (Some((lo, len)), Some((hi, _))) = (code_of(&lo), code_of(&hi))
                            && lo <= hi
                        {
                            cmap.ranges.push(BfRange {
                                lo,
                                hi,
                                len,
                                target,
                            });
                        }
                        entries += 1;
                        if entries > MAX_CMAP_ENTRIES {
                            return cmap;
                        }
                    }
                }
                _ => {}
            }
        }
        cmap
    }

    /// Appends the text of `code` (of `len` bytes) to `out`; false if unmapped.
    fn lookup(&self, code: u32, len: usize, out: &mut String) -> bool {
        let len = u8::try_from(len).unwrap_or(u8::MAX);
        if let Some(text) = self.chars.get(&(code, len)) {
            out.push_str(text);
            return true;
        }
        let range = self
            .ranges
            .iter()
            .find(|r| r.len == len && r.lo <= code && code <= r.hi)
            .or_else(|| self.ranges.iter().find(|r| r.lo <= code && code <= r.hi));
        let Some(range) = range else { return false };
        let offset = code - range.lo;
        match &range.target {
            BfTarget::Start(units) => {
                let mut units = units.clone();
                if let Some(last) = units.last_mut() {
                    *last = last.wrapping_add(u16::try_from(offset).unwrap_or(u16::MAX));
                }
                out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(REPLACEMENT)));
                true
            }
            BfTarget::List(list) => match list.get(offset as usize) {
                Some(text) => {
                    out.push_str(text);
                    true
                }
                None => false,
            },
        }
    }
}

/// A source code from hex bytes: value and length (1 to 4 bytes).
fn code_of(bytes: &[u8]) -> Option<(u32, u8)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let value = bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    Some((value, u8::try_from(bytes.len()).ok()?))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|pair| pair.iter().fold(0u16, |acc, b| (acc << 8) | u16::from(*b)))
        .collect()
}

fn utf16_to_string(bytes: &[u8]) -> String {
    char::decode_utf16(utf16_units(bytes))
        .map(|c| c.unwrap_or(REPLACEMENT))
        .collect()
}

/// The tokens of a CMap program; only what the parser above looks at is
/// told apart.
struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let b = *self.bytes.get(self.pos)?;
            match b {
                b'%' => {
                    while self
                        .bytes
                        .get(self.pos)
                        .is_some_and(|c| *c != b'\n' && *c != b'\r')
                    {
                        self.pos += 1;
                    }
                }
                b'<' if self.bytes.get(self.pos + 1) == Some(&b'<') => {
                    self.pos += 2;
                    return Some(Token::Word(b"<<"));
                }
                b'<' => {
                    self.pos += 1;
                    let mut out = Vec::new();
                    let mut high: Option<u8> = None;
                    while let Some(&c) = self.bytes.get(self.pos) {
                        self.pos += 1;
                        if c == b'>' {
                            break;
                        }
                        let Some(v) = hex_value(c) else { continue };
                        match high.take() {
                            Some(h) => out.push((h << 4) | v),
                            None => high = Some(v),
                        }
                    }
                    if let Some(h) = high {
                        out.push(h << 4);
                    }
                    return Some(Token::Hex(out));
                }
                b'[' => {
                    self.pos += 1;
                    return Some(Token::Open);
                }
                b']' => {
                    self.pos += 1;
                    return Some(Token::Close);
                }
                b'(' => {
                    // Literal strings do not occur where we read; skip them whole.
                    let mut depth = 0usize;
                    while let Some(&c) = self.bytes.get(self.pos) {
                        self.pos += 1;
                        match c {
                            b'\\' => self.pos += 1,
                            b'(' => depth += 1,
                            b')' => {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    return Some(Token::Word(b"()"));
                }
                c if c.is_ascii_whitespace() || c == 0 => self.pos += 1,
                _ => {
                    let start = self.pos;
                    while self.bytes.get(self.pos).is_some_and(|c| {
                        !c.is_ascii_whitespace()
                            && !matches!(c, b'<' | b'>' | b'[' | b']' | b'(' | b')' | b'%' | 0)
                    }) {
                        self.pos += 1;
                    }
                    if self.pos == start {
                        // A lone '>' or ')': skip it.
                        self.pos += 1;
                        continue;
                    }
                    let word = self.bytes.get(start..self.pos).unwrap_or_default();
                    let number = std::str::from_utf8(word)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok());
                    return Some(number.map_or(Token::Word(word), Token::Number));
                }
            }
        }
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMAP: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
        /CMapName /Adobe-Identity-UCS def
        1 begincodespacerange <0000> <FFFF> endcodespacerange
        2 beginbfchar <0003> <0020> <0011> <00FC> endbfchar
        2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0066006C> <00DF>] endbfrange
        endcmap CMapName currentdict /CMap defineresource pop end end";

    fn lookup(cmap: &CMap, code: u32) -> Option<String> {
        let mut s = String::new();
        cmap.lookup(code, 2, &mut s).then_some(s)
    }

    #[test]
    fn cmap_bfchar_and_bfrange() {
        let cmap = CMap::parse(CMAP);
        assert_eq!(cmap.codespace.len(), 1);
        assert_eq!(lookup(&cmap, 0x0003).as_deref(), Some(" "));
        assert_eq!(lookup(&cmap, 0x0011).as_deref(), Some("ü"));
        assert_eq!(lookup(&cmap, 0x0024).as_deref(), Some("A"));
        assert_eq!(lookup(&cmap, 0x0026).as_deref(), Some("C"));
        assert_eq!(lookup(&cmap, 0x0030).as_deref(), Some("fl"));
        assert_eq!(lookup(&cmap, 0x0031).as_deref(), Some("ß"));
        assert_eq!(lookup(&cmap, 0x0027), None);
    }

    #[test]
    fn glyph_names_resolve() {
        assert_eq!(glyph_unicode(b"eacute"), Some(0x00E9));
        assert_eq!(glyph_unicode(b"Euro"), Some(0x20AC));
        assert_eq!(glyph_unicode(b"uni00FC"), Some(0x00FC));
        assert_eq!(glyph_unicode(b"a.sc"), Some(0x0061));
        assert_eq!(glyph_unicode(b"g123"), None);
    }

    #[test]
    fn std14_widths() {
        let helvetica = Std14::for_name(b"Helvetica");
        assert!(matches!(helvetica, Some(Std14::Table(_))));
        assert_eq!(helvetica.map(|h| h.width("A")), Some(667.0));
        assert_eq!(
            Std14::for_name(b"Courier-Bold").map(|c| c.width("i")),
            Some(600.0)
        );
        assert!(Std14::for_name(b"Garamond").is_none());
    }

    #[test]
    fn garbage_cmap_does_not_panic() {
        for input in [
            &b"<<<<>>>>[[[]]]"[..],
            b"beginbfrange <00> <ff> [",
            b"begincodespacerange <",
            b"(((\\",
        ] {
            let _ = CMap::parse(input);
        }
    }
}
