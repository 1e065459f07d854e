//! Positioned text of a page, read in process from its content stream: the
//! graphics state (q/Q/cm), the text state (BT/ET, Tf, Tm, Td/TD/T*, TL, Tc,
//! Tw, Tz, Ts) and the text-showing operators (Tj, TJ, ', ") are interpreted,
//! glyph advances come from the fonts' widths, and each shown string becomes
//! a [`TextRun`] placed in page space (points, origin bottom-left of the
//! page's effective box). Form XObjects (`Do`) are followed.
//!
//! A [`TextReader`] keeps the page list and the fonts it has read, so reading
//! page after page of one bulk PDF reads each font once.

use crate::finding::Finding;
use crate::fonts::Font;
use crate::objects::{dict_of, get, get_array, get_dict, get_name, inherited, number, number_in};
use crate::page::{PageGeometry, page_geometry};
use courrier_domain::codes;
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;
use std::sync::Arc;

/// Default bound on a page's decompressed content.
pub const DEFAULT_MAX_CONTENT_BYTES: usize = 32 * 1024 * 1024;
/// Form XObjects nested deeper than this are not followed.
const MAX_FORM_DEPTH: usize = 8;
/// q without Q deeper than this is ignored (hostile streams).
const MAX_STACK: usize = 256;
/// A page with more runs than this stops collecting (the window is read from
/// the first page of a letter; this bounds memory on hostile input).
const MAX_RUNS: usize = 200_000;
/// Form XObjects drawn per page at most (a form drawing another ten times,
/// ten levels deep, must not cost 10^10 draws).
const MAX_FORM_DRAWS: usize = 1_000;
/// Content operations interpreted per page at most, forms included.
const MAX_OPERATIONS: usize = 5_000_000;

/// A 2-D affine matrix `[a b c d e f]` as in PDF: a point is a row vector,
/// `[x y 1] × M`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix([f32; 6]);

impl Matrix {
    pub const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    pub fn new(a: f32, b: f32, c: f32, d: f32, e: f32, f: f32) -> Self {
        Matrix([a, b, c, d, e, f])
    }

    pub fn translate(tx: f32, ty: f32) -> Self {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self × other`: first self, then other.
    pub fn then(&self, other: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (x * a + y * c + e, x * b + y * d + f)
    }

    fn from_operands(operands: &[Object]) -> Option<Matrix> {
        let [a, b, c, d, e, f] = operands else {
            return None;
        };
        Some(Matrix([
            number(a)?,
            number(b)?,
            number(c)?,
            number(d)?,
            number(e)?,
            number(f)?,
        ]))
    }

    fn is_finite(&self) -> bool {
        self.0.iter().all(|v| v.is_finite())
    }
}

/// One shown string (a Tj, or one string of a TJ), placed on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub text: String,
    /// Baseline start, in points from the bottom-left corner of the page box.
    pub x: f32,
    pub y: f32,
    /// Baseline end (after the last glyph's advance).
    pub end_x: f32,
    pub end_y: f32,
    /// Font size in page space (points).
    pub font_size: f32,
}

impl TextRun {
    /// Left-to-right, within 6° of horizontal.
    pub fn is_upright(&self) -> bool {
        let (dx, dy) = (self.end_x - self.x, self.end_y - self.y);
        dx >= 0.0 && dy.abs() <= 0.1 * dx.max(self.font_size * 0.1)
    }
}

/// All text of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    /// 1-based page number.
    pub page: u32,
    pub geometry: PageGeometry,
    pub runs: Vec<TextRun>,
}

/// Reads the text of pages of one document; keeps fonts between pages.
pub struct TextReader<'a> {
    doc: &'a Document,
    pages: Option<Vec<ObjectId>>,
    fonts: HashMap<ObjectId, Arc<Font>>,
    max_content_bytes: usize,
}

impl<'a> TextReader<'a> {
    pub fn new(doc: &'a Document) -> Self {
        Self {
            doc,
            pages: None,
            fonts: HashMap::new(),
            max_content_bytes: DEFAULT_MAX_CONTENT_BYTES,
        }
    }

    /// Bounds how much content a page (and each form) may decompress to.
    #[must_use]
    pub fn with_max_content_bytes(mut self, bytes: usize) -> Self {
        self.max_content_bytes = bytes;
        self
    }

    pub fn document(&self) -> &'a Document {
        self.doc
    }

    /// Number of pages in the document.
    pub fn page_count(&mut self) -> usize {
        self.page_ids().len()
    }

    fn page_ids(&mut self) -> &[ObjectId] {
        let doc = self.doc;
        // A tree the intake refuses (a page shown twice, a loop) has no pages here.
        self.pages
            .get_or_insert_with(|| crate::page_tree::page_ids(doc).unwrap_or_default())
    }

    /// The page object of a 0-based page index.
    pub fn page_id(&mut self, page_index: usize) -> Result<ObjectId, Finding> {
        let count = self.page_ids().len();
        self.page_ids().get(page_index).copied().ok_or_else(|| {
            Finding::error(
                codes::PDF_PAGE_MISSING,
                format!(
                    "the document has {count} page(s); page {} does not exist",
                    page_index.saturating_add(1)
                ),
            )
        })
    }

    /// All positioned text of a 0-based page.
    pub fn page_text(&mut self, page_index: usize) -> Result<PageText, Finding> {
        let page_id = self.page_id(page_index)?;
        let number = u32::try_from(page_index.saturating_add(1)).unwrap_or(u32::MAX);
        let unreadable = |why: &str| {
            Finding::error(
                codes::PDF_UNREADABLE,
                format!("page {number} could not be read ({why}): export the document again"),
            )
            .on_page(number)
        };
        let geometry =
            page_geometry(self.doc, page_id).ok_or_else(|| unreadable("no page size"))?;
        let page = dict_of(self.doc, page_id).ok_or_else(|| unreadable("not a page"))?;
        crate::budget::check()?;
        let limit = crate::budget::limit(self.max_content_bytes);
        let content = self
            .doc
            .get_page_content_with_limit(page_id, limit)
            .map_err(|_| {
                if limit < self.max_content_bytes {
                    crate::budget::spent()
                } else {
                    unreadable("its content is too large")
                }
            })?;
        crate::budget::charge(content.len())?;
        let resources = inherited(self.doc, page, b"Resources").and_then(|r| match r {
            Object::Dictionary(d) => Some(d),
            _ => None,
        });
        // Page space: origin at the bottom-left of the effective box.
        let origin = Matrix::translate(-geometry.page_box.left, -geometry.page_box.bottom);
        let mut interpreter = Interpreter {
            reader: self,
            runs: Vec::new(),
            forms: Vec::new(),
            form_content: HashMap::new(),
            form_draws: 0,
            operations: 0,
        };
        interpreter.run(&content, resources, origin);
        // The interpreter stops early when the time ran out; say so.
        crate::budget::check()?;
        Ok(PageText {
            page: number,
            geometry,
            runs: interpreter.runs,
        })
    }

    fn font(&mut self, resources: Option<&'a Dictionary>, name: &[u8]) -> Option<Arc<Font>> {
        let doc = self.doc;
        let fonts = get_dict(doc, resources?, b"Font")?;
        let entry = fonts.get(name).ok()?;
        match entry {
            Object::Reference(id) => {
                if let Some(font) = self.fonts.get(id) {
                    return Some(Arc::clone(font));
                }
                let font = Arc::new(Font::from_dict(
                    doc,
                    dict_of(doc, *id)?,
                    self.max_content_bytes,
                ));
                self.fonts.insert(*id, Arc::clone(&font));
                Some(font)
            }
            Object::Dictionary(dict) => {
                Some(Arc::new(Font::from_dict(doc, dict, self.max_content_bytes)))
            }
            _ => None,
        }
    }
}

#[derive(Clone)]
struct GraphicsState {
    ctm: Matrix,
    font: Option<Arc<Font>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    /// Tz / 100.
    horizontal_scale: f32,
    leading: f32,
    rise: f32,
}

struct Interpreter<'r, 'a> {
    reader: &'r mut TextReader<'a>,
    runs: Vec<TextRun>,
    /// Forms being interpreted (cycle guard).
    forms: Vec<ObjectId>,
    /// Each form's content is decompressed once per page.
    form_content: HashMap<ObjectId, Arc<Vec<u8>>>,
    form_draws: usize,
    operations: usize,
}

impl<'a> Interpreter<'_, 'a> {
    fn run(&mut self, content: &[u8], resources: Option<&'a Dictionary>, ctm: Matrix) {
        let mut gs = GraphicsState {
            ctm,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut stack: Vec<GraphicsState> = Vec::new();
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        for operation in Content::decode_iter(content) {
            let Ok(op) = operation else { break };
            self.operations += 1;
            if self.runs.len() >= MAX_RUNS || self.operations > MAX_OPERATIONS {
                break;
            }
            if self.operations.is_multiple_of(4096) && crate::budget::check().is_err() {
                break;
            }
            let operands = op.operands.as_slice();
            let num = |i: usize| operands.get(i).and_then(number);
            match op.operator.as_str() {
                "q" if stack.len() < MAX_STACK => stack.push(gs.clone()),
                "Q" => {
                    if let Some(saved) = stack.pop() {
                        gs = saved;
                    }
                }
                "cm" => {
                    if let Some(m) = Matrix::from_operands(operands) {
                        let ctm = m.then(&gs.ctm);
                        if ctm.is_finite() {
                            gs.ctm = ctm;
                        }
                    }
                }
                "BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                "Tf" => {
                    if let (Some(Object::Name(name)), Some(size)) = (operands.first(), num(1)) {
                        gs.font = self.reader.font(resources, name);
                        gs.size = size;
                    }
                }
                "Tc" => gs.char_spacing = num(0).unwrap_or(gs.char_spacing),
                "Tw" => gs.word_spacing = num(0).unwrap_or(gs.word_spacing),
                "Tz" => gs.horizontal_scale = num(0).map_or(gs.horizontal_scale, |z| z / 100.0),
                "TL" => gs.leading = num(0).unwrap_or(gs.leading),
                "Ts" => gs.rise = num(0).unwrap_or(gs.rise),
                "Td" | "TD" => {
                    if let (Some(tx), Some(ty)) = (num(0), num(1)) {
                        if op.operator == "TD" {
                            gs.leading = -ty;
                        }
                        tlm = Matrix::translate(tx, ty).then(&tlm);
                        tm = tlm;
                    }
                }
                "Tm" => {
                    if let Some(m) = Matrix::from_operands(operands) {
                        tlm = m;
                        tm = m;
                    }
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                }
                "Tj" => {
                    if let Some(Object::String(bytes, _)) = operands.first() {
                        self.show(bytes, &gs, &mut tm);
                    }
                }
                "'" | "\"" => {
                    let text_operand = if op.operator == "\"" {
                        gs.word_spacing = num(0).unwrap_or(gs.word_spacing);
                        gs.char_spacing = num(1).unwrap_or(gs.char_spacing);
                        operands.get(2)
                    } else {
                        operands.first()
                    };
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                    if let Some(Object::String(bytes, _)) = text_operand {
                        self.show(bytes, &gs, &mut tm);
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = operands.first() {
                        for item in items {
                            match item {
                                Object::String(bytes, _) => self.show(bytes, &gs, &mut tm),
                                other => {
                                    if let Some(adjust) = number(other) {
                                        let tx = -adjust / 1000.0 * gs.size * gs.horizontal_scale;
                                        tm = Matrix::translate(tx, 0.0).then(&tm);
                                    }
                                }
                            }
                        }
                    }
                }
                "Do" => {
                    if let Some(Object::Name(name)) = operands.first() {
                        self.form(resources, name, &gs);
                    }
                }
                _ => {}
            }
        }
    }

    /// Follows a Form XObject: its /Matrix, its own /Resources (else ours).
    fn form(&mut self, resources: Option<&'a Dictionary>, name: &[u8], gs: &GraphicsState) {
        let doc = self.reader.doc;
        if self.forms.len() >= MAX_FORM_DEPTH
            || self.form_draws >= MAX_FORM_DRAWS
            || self.operations > MAX_OPERATIONS
        {
            return;
        }
        let Some(xobjects) = resources.and_then(|r| get_dict(doc, r, b"XObject")) else {
            return;
        };
        let Ok(Object::Reference(id)) = xobjects.get(name) else {
            return;
        };
        if self.forms.contains(id) {
            return;
        }
        let Ok(Object::Stream(stream)) = doc.get_object(*id) else {
            return;
        };
        if get_name(doc, &stream.dict, b"Subtype") != Some(b"Form") {
            return;
        }
        let content = match self.form_content.get(id) {
            Some(content) => Arc::clone(content),
            None => {
                let Ok(bytes) = stream.get_plain_content_with_limit(self.reader.max_content_bytes)
                else {
                    return;
                };
                if crate::budget::charge(bytes.len()).is_err() {
                    return;
                }
                let content = Arc::new(bytes);
                self.form_content.insert(*id, Arc::clone(&content));
                content
            }
        };
        let matrix = get_array(doc, &stream.dict, b"Matrix")
            .and_then(|m| {
                let values: Vec<f32> = m.iter().filter_map(|v| number_in(doc, v)).collect();
                match values.as_slice() {
                    [a, b, c, d, e, f] => Some(Matrix::new(*a, *b, *c, *d, *e, *f)),
                    _ => None,
                }
            })
            .unwrap_or(Matrix::IDENTITY);
        let form_resources = match get(doc, &stream.dict, b"Resources") {
            Some(Object::Dictionary(d)) => Some(d),
            _ => resources,
        };
        let ctm = matrix.then(&gs.ctm);
        if !ctm.is_finite() {
            return;
        }
        self.forms.push(*id);
        self.form_draws += 1;
        self.run(&content, form_resources, ctm);
        self.forms.pop();
    }

    /// Shows one string: decodes it, advances the text matrix, records a run.
    fn show(&mut self, bytes: &[u8], gs: &GraphicsState, tm: &mut Matrix) {
        let Some(font) = gs.font.as_ref() else { return };
        let start = tm.then(&gs.ctm);
        let (x, y) = start.apply(0.0, gs.rise);
        let [_, _, c, d, _, _] = start.0;
        let font_size = gs.size.abs() * (c * c + d * d).sqrt();
        let mut text = String::with_capacity(bytes.len());
        let mut advance = 0.0f32;
        font.decode(bytes, &mut text, |glyph| {
            let spacing = gs.char_spacing
                + if glyph.word_space {
                    gs.word_spacing
                } else {
                    0.0
                };
            advance += (glyph.width * gs.size + spacing) * gs.horizontal_scale;
        });
        let next = Matrix::translate(advance, 0.0).then(tm);
        if next.is_finite() {
            *tm = next;
        }
        let (end_x, end_y) = tm.then(&gs.ctm).apply(0.0, gs.rise);
        if text.is_empty()
            || ![x, y, end_x, end_y, font_size]
                .iter()
                .all(|v| v.is_finite())
        {
            return;
        }
        self.runs.push(TextRun {
            text,
            x,
            y,
            end_x,
            end_y,
            font_size,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_composition_follows_pdf_order() {
        // Scale by 2, then translate by (10, 20).
        let m = Matrix::new(2.0, 0.0, 0.0, 2.0, 0.0, 0.0).then(&Matrix::translate(10.0, 20.0));
        assert_eq!(m.apply(1.0, 1.0), (12.0, 22.0));
        let n = Matrix::translate(10.0, 20.0).then(&Matrix::new(2.0, 0.0, 0.0, 2.0, 0.0, 0.0));
        assert_eq!(n.apply(1.0, 1.0), (22.0, 42.0));
    }
}
