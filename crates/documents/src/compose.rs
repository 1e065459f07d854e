//! Composing the print-ready PDF of one letter: page 1 of a background
//! (letterhead) PDF laid **under** the first or every page of the letter, and
//! the pages of extra attachments (a reply coupon, a flyer) appended.
//!
//! - The background page is imported once as a Form XObject (its content and
//!   resources, fonts included) and drawn first on each target page with
//!   `q <cm> cm /CourrierBg Do Q`, in a content stream of its own put before
//!   the page's streams, so the letter draws over it. The `cm` maps the
//!   background's page box onto the letter page's box, so a MediaBox with
//!   another origin, a slightly different size or another /Rotate still
//!   lands where it is seen. Only the page's content is drawn: annotations
//!   of the letterhead page (links, form fields) are left out.
//! - Attachments follow the letter, one after another. When the letter is
//!   printed duplex and has an odd page count, a blank A4 page comes first so
//!   the attachments start on a fresh sheet — the sheet count of
//!   [`PrintOptions`](courrier_domain::letters::PrintOptions), which counts
//!   the letter and the attachments in sheets separately.
//! - Imported objects get new object numbers after the letter's, so nothing
//!   collides; inherited page attributes (Resources, MediaBox, CropBox,
//!   Rotate) are copied onto imported pages.
//!
//! A background or an attachment goes through the same intake checks as the
//! letter ([`load_part`]): a refusal is `letter.background_invalid` or
//! `letter.attachment_invalid`, with the underlying rule (`pdf.javascript`,
//! `pdf.not_a4`, …) named in the message. A background of several pages is
//! accepted and its **page 1 only** is used; [`load_part`] says so with the
//! warning `letter.background_pages_ignored`.
//!
//! [`decompose`] takes a composed letter apart again (the letter without its
//! background, the background page, each attachment), so a draft's options
//! can be changed and the letter composed anew.

use crate::finding::Finding;
use crate::inspect::{IntakeLimits, inspect_document, load_pdf};
use crate::objects::{dict_of, get, get_dict, get_name, inherited, resolve};
use crate::page::{A4_HEIGHT_PT, A4_WIDTH_PT, PageGeometry, Rect, page_geometry};
use courrier_domain::Code;
use courrier_domain::codes;
use courrier_domain::letters::{BackgroundScope, Sides};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use std::collections::{HashMap, HashSet};

/// Code of a background PDF that failed an intake check.
pub const BACKGROUND_INVALID: Code = codes::LETTER_BACKGROUND_INVALID;
/// Code of an attachment PDF that failed an intake check.
pub const ATTACHMENT_INVALID: Code = codes::LETTER_ATTACHMENT_INVALID;
/// Warning: the background has several pages and only page 1 is used.
pub const BACKGROUND_PAGES_IGNORED: Code = codes::LETTER_BACKGROUND_PAGES_IGNORED;

/// The private key of the content stream that draws the background; its
/// value is the XObject's resource name. Readers ignore unknown keys.
const MARKER_KEY: &str = "CourrierBackground";
const XOBJECT_NAME: &str = "CourrierBg";

/// The page attributes a page may take from its /Parent chain.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// What a part of a letter is, for its error code and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    Background,
    Attachment,
}

impl PartKind {
    pub fn code(self) -> Code {
        match self {
            PartKind::Background => BACKGROUND_INVALID,
            PartKind::Attachment => ATTACHMENT_INVALID,
        }
    }
}

/// A background or attachment PDF that passed the intake checks.
#[derive(Debug, Clone)]
pub struct Part {
    pub doc: Document,
    pub page_count: u32,
    /// Warnings of the intake checks (fonts not embedded, …) and, for a
    /// background of several pages, `letter.background_pages_ignored`.
    pub warnings: Vec<Finding>,
}

/// Loads and checks a background or attachment like a letter: readable, no
/// password, A4 portrait, no active content or embedded files. `name` (the
/// file name, may be empty) is put in the messages. On refusal every error
/// is reported, each with the part's code and the underlying rule.
pub fn load_part(
    bytes: &[u8],
    limits: &IntakeLimits,
    kind: PartKind,
    name: &str,
) -> Result<Part, Vec<Finding>> {
    let what = match (kind, name.trim()) {
        (PartKind::Background, "") => "the letterhead PDF".to_string(),
        (PartKind::Background, n) => format!("the letterhead PDF '{n}'"),
        (PartKind::Attachment, "") => "the attachment".to_string(),
        (PartKind::Attachment, n) => format!("the attachment '{n}'"),
    };
    let wrap = |f: &Finding| {
        let finding = Finding::error(kind.code(), format!("{what}: {} ({})", f.message, f.code));
        match f.page {
            Some(p) => finding.on_page(p),
            None => finding,
        }
    };
    let doc = load_pdf(bytes, limits).map_err(|f| vec![wrap(&f)])?;
    let report = inspect_document(&doc, limits).map_err(|findings| {
        findings
            .iter()
            .filter(|f| f.is_error())
            .map(wrap)
            .collect::<Vec<_>>()
    })?;
    let mut warnings: Vec<Finding> = report
        .warnings
        .iter()
        .map(|f| Finding::warning(f.code, format!("{what}: {}", f.message)))
        .collect();
    if kind == PartKind::Background && report.page_count > 1 {
        warnings.push(Finding::warning(
            BACKGROUND_PAGES_IGNORED,
            format!(
                "{what} has {} pages: only its page 1 is laid under the letter",
                report.page_count
            ),
        ));
    }
    Ok(Part {
        doc,
        page_count: report.page_count,
        warnings,
    })
}

/// Whether a blank page goes between a letter of `letter_pages` pages and its
/// attachments: in duplex, after an odd page count.
pub fn needs_blank_page(letter_pages: u32, sides: Sides, has_attachments: bool) -> bool {
    has_attachments && sides == Sides::Duplex && letter_pages % 2 == 1
}

fn broken(what: &str) -> Finding {
    Finding::error(
        codes::LETTER_COMPOSE_FAILED,
        format!("the letter could not be composed ({what}): export the documents again"),
    )
}

/// The letter with `background` under its first or every page and the
/// `attachments` appended (after a blank page when [`needs_blank_page`]).
/// The inputs are expected to have passed the intake checks.
pub fn compose(
    letter: &Document,
    background: Option<(&Document, BackgroundScope)>,
    attachments: &[&Document],
    sides: Sides,
) -> Result<Document, Finding> {
    let mut out = letter.clone();
    let letter_pages: Vec<ObjectId> = crate::page_tree::page_ids(&out)?;
    // Pages are written as /Page whatever a damaged file called them: lopdf's
    // writer leaves out objects typed /XRef, /ObjStm or /Linearized.
    drop_foreign_kids(&mut out);
    for &page in &letter_pages {
        // A damaged file's page may be a stream: readers use its dictionary.
        if let Some(Object::Stream(stream)) = out.objects.get(&page) {
            let dict = stream.dict.clone();
            out.objects.insert(page, Object::Dictionary(dict));
        }
        // Inherited attributes are copied onto the page, as for imported
        // pages: a damaged file's /Parent may be an object the writer leaves
        // out (typed /XRef, say), and the page would lose its size.
        let mut own: Vec<(&[u8], Object)> = Vec::new();
        if let Some(dict) = dict_of(&out, page) {
            for key in INHERITED {
                if !dict.has(key)
                    && let Some(value) = inherited(&out, dict, key)
                {
                    own.push((key, value.clone()));
                }
            }
        }
        if let Ok(dict) = out.get_dictionary_mut(page) {
            for (key, value) in own {
                dict.set(key.to_vec(), value);
            }
            dict.set("Type", "Page");
        }
    }
    if let [page] = letter_pages.as_slice() {
        give_page_a_tree(&mut out, *page);
    }
    let Some(&first) = letter_pages.first() else {
        return Err(broken("the letter has no pages"));
    };
    if let Some((bg, scope)) = background {
        let targets = match scope {
            BackgroundScope::FirstPage => vec![first],
            BackgroundScope::AllPages => letter_pages.clone(),
        };
        lay_background(&mut out, bg, &targets)?;
    }
    if !attachments.is_empty() {
        let root = pages_root(&out).ok_or_else(|| broken("the page tree has no root"))?;
        let count = u32::try_from(letter_pages.len()).unwrap_or(u32::MAX);
        let mut added: Vec<ObjectId> = Vec::new();
        if needs_blank_page(count, sides, true) {
            added.push(blank_page(&mut out, root));
        }
        for attachment in attachments {
            added.extend(import_pages(&mut out, attachment, root)?);
        }
        append_kids(&mut out, root, &added)?;
    }
    Ok(out)
}

/// Drops the page tree's kids that are neither pages nor page tree nodes
/// (a damaged file's /Kids entry typed /XRef, say). Readers skip them, but
/// lopdf's writer leaves out objects typed /XRef, /ObjStm or /Linearized, and
/// the dangling kid would then read as a page of its own.
fn drop_foreign_kids(doc: &mut Document) {
    let Some(root) = pages_root(doc) else {
        return;
    };
    let mut todo = vec![root];
    let mut seen = HashSet::new();
    while let Some(node) = todo.pop() {
        if !seen.insert(node) {
            continue;
        }
        let Some(Object::Array(kids)) = dict_of(doc, node).and_then(|d| d.get(b"Kids").ok()) else {
            continue;
        };
        let mut keep = Vec::with_capacity(kids.len());
        for kid in kids {
            // Told apart as the page walk does (`page_tree::page_ids`); a
            // stream's dictionary counts (a kid may be an /XRef stream).
            let typed = kid.as_reference().ok().and_then(|id| {
                let dict = dict_of(doc, id)?;
                let kind = get_name(doc, dict, b"Type");
                let is_node = kind == Some(b"Pages") || (kind.is_none() && dict.has(b"Kids"));
                Some((id, is_node, matches!(kind, None | Some(b"Page"))))
            });
            match typed {
                Some((id, true, _)) => {
                    todo.push(id);
                    keep.push(kid.clone());
                }
                Some((_, false, false)) => {}
                _ => keep.push(kid.clone()),
            }
        }
        if let Ok(node) = doc.get_dictionary_mut(node) {
            node.set("Kids", keep);
        }
    }
}

/// A letter whose catalog's /Pages is its one page (intake reads it as one
/// page, as viewers do) gets a page tree node above it, so a blank page and
/// attachments can be added after it.
fn give_page_a_tree(doc: &mut Document, page: ObjectId) {
    if pages_root(doc) != Some(page) {
        return;
    }
    let node = doc.add_object(dictionary! {
        "Type" => "Pages", "Kids" => vec![Object::Reference(page)], "Count" => 1,
    });
    if let Ok(dict) = doc.get_dictionary_mut(page) {
        dict.set("Parent", node);
    }
    if let Ok(catalog) = doc.catalog_mut() {
        catalog.set("Pages", node);
    }
}

/// The root of the page tree (the catalog's /Pages).
fn pages_root(doc: &Document) -> Option<ObjectId> {
    match doc.catalog().ok()?.get(b"Pages").ok()? {
        Object::Reference(id) => Some(*id),
        _ => None,
    }
}

/// Appends pages to the root's /Kids (an indirect array is made direct) and
/// sets its /Count to the pages of the tree, counted by the page walk (the
/// root's own /Count may be indirect or absent).
fn append_kids(doc: &mut Document, root: ObjectId, added: &[ObjectId]) -> Result<(), Finding> {
    let pages = crate::page_tree::page_ids(doc)?.len();
    let mut kids = match dict_of(doc, root).and_then(|node| get(doc, node, b"Kids")) {
        Some(Object::Array(kids)) => kids.clone(),
        _ => return Err(broken("the page tree root has no /Kids")),
    };
    // A damaged file's root may be a stream: readers use its dictionary.
    if let Some(Object::Stream(stream)) = doc.objects.get(&root) {
        let dict = stream.dict.clone();
        doc.objects.insert(root, Object::Dictionary(dict));
    }
    let node = doc
        .get_dictionary_mut(root)
        .map_err(|_| broken("the page tree root is not a dictionary"))?;
    kids.extend(added.iter().map(|id| Object::Reference(*id)));
    node.set("Kids", kids);
    let count = pages.saturating_add(added.len());
    node.set("Count", i64::try_from(count).unwrap_or(i64::MAX));
    Ok(())
}

fn a4_box() -> Object {
    Object::Array(vec![
        0.into(),
        0.into(),
        Object::Real(A4_WIDTH_PT),
        Object::Real(A4_HEIGHT_PT),
    ])
}

fn blank_page(doc: &mut Document, root: ObjectId) -> ObjectId {
    let contents = doc.add_object(Stream::new(Dictionary::new(), Vec::new()));
    doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => root, "MediaBox" => a4_box(),
        "Resources" => Dictionary::new(), "Contents" => contents,
    })
}

/// Copies every page of `src` into `dest` under `root`; returns the new ids.
fn import_pages(
    dest: &mut Document,
    src: &Document,
    root: ObjectId,
) -> Result<Vec<ObjectId>, Finding> {
    let mut importer = Importer::new(src);
    let mut ids = Vec::new();
    for page_id in crate::page_tree::page_ids(src)? {
        crate::budget::check()?;
        let page = dict_of(src, page_id).ok_or_else(|| broken("an attachment page is damaged"))?;
        let mut copy = Dictionary::new();
        for (key, value) in page.iter() {
            if key.as_slice() != b"Parent" {
                copy.set(key.clone(), importer.object(dest, value));
            }
        }
        for key in INHERITED {
            if !copy.has(key)
                && let Some(value) = inherited(src, page, key)
            {
                let value = value.clone();
                copy.set(key.to_vec(), importer.object(dest, &value));
            }
        }
        copy.set("Parent", root);
        copy.set("Type", "Page");
        ids.push(dest.add_object(copy));
    }
    importer.drain(dest);
    Ok(ids)
}

/// Copies objects of another document with new numbers (one at a time, no
/// recursion). Page tree nodes are not followed: a reference to one (an
/// annotation's /P, a /Parent) becomes null.
struct Importer<'a> {
    src: &'a Document,
    tree: HashSet<ObjectId>,
    ids: HashMap<ObjectId, ObjectId>,
    todo: Vec<ObjectId>,
}

impl<'a> Importer<'a> {
    fn new(src: &'a Document) -> Self {
        let mut tree: HashSet<ObjectId> = crate::page_tree::page_ids(src)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut stack: Vec<ObjectId> = tree.iter().copied().collect();
        // The intermediate nodes: every /Parent up from a page.
        while let Some(id) = stack.pop() {
            if let Some(Object::Reference(parent)) =
                dict_of(src, id).and_then(|d| d.get(b"Parent").ok())
                && tree.insert(*parent)
            {
                stack.push(*parent);
            }
        }
        Self {
            src,
            tree,
            ids: HashMap::new(),
            todo: Vec::new(),
        }
    }

    /// The value with its references renumbered (their targets queued).
    fn object(&mut self, dest: &mut Document, value: &Object) -> Object {
        let mut value = value.clone();
        self.visit(dest, &mut value);
        value
    }

    fn visit(&mut self, dest: &mut Document, value: &mut Object) {
        let mut stack: Vec<&mut Object> = vec![value];
        while let Some(object) = stack.pop() {
            match object {
                Object::Reference(id) => {
                    if self.tree.contains(id) {
                        *object = Object::Null;
                    } else if let Some(new) = self.ids.get(id) {
                        *object = Object::Reference(*new);
                    } else {
                        let new = dest.new_object_id();
                        self.ids.insert(*id, new);
                        self.todo.push(*id);
                        *object = Object::Reference(new);
                    }
                }
                Object::Array(items) => stack.extend(items.iter_mut()),
                Object::Dictionary(dict) => stack.extend(dict.iter_mut().map(|(_, v)| v)),
                Object::Stream(stream) => stack.extend(stream.dict.iter_mut().map(|(_, v)| v)),
                _ => {}
            }
        }
    }

    fn drain(&mut self, dest: &mut Document) {
        while let Some(old) = self.todo.pop() {
            let Some(&new) = self.ids.get(&old) else {
                continue;
            };
            let mut value = self.src.objects.get(&old).cloned().unwrap_or(Object::Null);
            self.visit(dest, &mut value);
            dest.objects.insert(new, value);
        }
    }
}

/// Imports page 1 of `bg` as a Form XObject and draws it under `targets`.
fn lay_background(out: &mut Document, bg: &Document, targets: &[ObjectId]) -> Result<(), Finding> {
    let Some(bg_page) = crate::page_tree::page_ids(bg)?.first().copied() else {
        return Err(broken("the letterhead has no pages"));
    };
    let bg_geometry =
        page_geometry(bg, bg_page).ok_or_else(|| broken("the letterhead has no page size"))?;
    let page = dict_of(bg, bg_page).ok_or_else(|| broken("the letterhead page is damaged"))?;
    let content = bg
        .get_page_content_with_limit(bg_page, IntakeLimits::default().max_decompressed_bytes)
        .map_err(|_| broken("the letterhead's content is too large"))?;
    crate::budget::charge(content.len())?;
    let media = inherited(bg, page, b"MediaBox")
        .cloned()
        .ok_or_else(|| broken("the letterhead has no MediaBox"))?;
    let mut importer = Importer::new(bg);
    let resources = match inherited(bg, page, b"Resources") {
        Some(r) => importer.object(out, r),
        None => Object::Dictionary(Dictionary::new()),
    };
    let media = importer.object(out, &media);
    importer.drain(out);
    let mut form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form", "FormType" => 1,
            "BBox" => media, "Resources" => resources,
        },
        content,
    );
    // An uncompressed stream prints the same; compressing only saves space.
    let _ = form.compress();
    let form_id = out.add_object(form);

    for &target in targets {
        let geometry =
            page_geometry(out, target).ok_or_else(|| broken("a letter page has no page size"))?;
        let matrix = placement(&bg_geometry, &geometry);
        let name = add_xobject(out, target, form_id)?;
        let draw = format!(
            "q {} cm /{} Do Q\n",
            matrix
                .iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(" "),
            name
        );
        let mut marker = Stream::new(
            dictionary! { MARKER_KEY => Object::Name(name.into_bytes()) },
            draw.into_bytes(),
        );
        marker.allows_compression = false;
        let marker_id = out.add_object(marker);
        let mut contents = vec![Object::Reference(marker_id)];
        let current = dict_of(out, target).and_then(|p| p.get(b"Contents").ok());
        match current {
            Some(Object::Array(items)) => contents.extend(items.iter().cloned()),
            Some(Object::Reference(id)) => match out.objects.get(id) {
                // A reference to an array of streams is flattened.
                Some(Object::Array(items)) => contents.extend(items.iter().cloned()),
                _ => contents.push(Object::Reference(*id)),
            },
            _ => {}
        }
        let page = out
            .get_dictionary_mut(target)
            .map_err(|_| broken("a letter page is damaged"))?;
        page.set("Contents", contents);
    }
    Ok(())
}

/// Gives `page` its own /Resources (a copy of what it has or inherits) with
/// the form under a free name; returns the name.
fn add_xobject(doc: &mut Document, page_id: ObjectId, form: ObjectId) -> Result<String, Finding> {
    let page = dict_of(doc, page_id).ok_or_else(|| broken("a letter page is damaged"))?;
    let mut resources = match inherited(doc, page, b"Resources") {
        Some(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    let mut xobjects = get_dict(doc, &resources, b"XObject")
        .cloned()
        .unwrap_or_default();
    let mut name = XOBJECT_NAME.to_string();
    let mut n = 0u32;
    while xobjects.has(name.as_bytes()) {
        n = n.saturating_add(1);
        name = format!("{XOBJECT_NAME}{n}");
    }
    xobjects.set(name.clone(), form);
    resources.set("XObject", xobjects);
    let page = doc
        .get_dictionary_mut(page_id)
        .map_err(|_| broken("a letter page is damaged"))?;
    page.set("Resources", resources);
    Ok(name)
}

/// Where a point of `geometry`'s user space is seen: (x, y) from the
/// bottom-left of the displayed page, rotation applied.
fn to_display(g: &PageGeometry, x: f32, y: f32) -> (f32, f32) {
    let b = g.page_box;
    let (u, v) = (x - b.left, y - b.bottom);
    let (w, h) = (b.width(), b.height());
    match g.rotate {
        90 => (v, w - u),
        180 => (w - u, h - v),
        270 => (h - v, u),
        _ => (u, v),
    }
}

/// The user-space point of `g` seen at display (x, y).
fn from_display(g: &PageGeometry, x: f32, y: f32) -> (f32, f32) {
    let b = g.page_box;
    let (w, h) = (b.width(), b.height());
    let (u, v) = match g.rotate {
        90 => (w - y, x),
        180 => (w - x, h - y),
        270 => (y, h - x),
        _ => (x, y),
    };
    (b.left + u, b.bottom + v)
}

/// The `cm` matrix that puts the background's page, as it is seen, onto
/// the letter's page as it is seen (scaled to it when the sizes differ
/// slightly).
fn placement(bg: &PageGeometry, letter: &PageGeometry) -> [f32; 6] {
    let (bw, bh) = displayed(bg);
    let (lw, lh) = displayed(letter);
    let (sx, sy) = (lw / bw, lh / bh);
    let map = |x: f32, y: f32| {
        let (dx, dy) = to_display(bg, x, y);
        from_display(letter, dx * sx, dy * sy)
    };
    let Rect {
        left,
        bottom,
        right,
        top,
    } = bg.page_box;
    let q0 = map(left, bottom);
    let q1 = map(right, bottom);
    let q2 = map(left, top);
    let (width, height) = (right - left, top - bottom);
    let a = (q1.0 - q0.0) / width;
    let b = (q1.1 - q0.1) / width;
    let c = (q2.0 - q0.0) / height;
    let d = (q2.1 - q0.1) / height;
    let e = q0.0 - a * left - c * bottom;
    let f = q0.1 - b * left - d * bottom;
    [a, b, c, d, e, f]
}

/// Displayed width and height in user units.
fn displayed(g: &PageGeometry) -> (f32, f32) {
    let (w, h) = (g.page_box.width(), g.page_box.height());
    if g.rotate % 180 == 90 { (h, w) } else { (w, h) }
}

/// A composed letter taken apart (see [`decompose`]).
#[derive(Debug, Clone)]
pub struct Decomposed {
    /// The letter's own pages, without the background.
    pub letter: Document,
    /// The background page as a one-page PDF, when there was one.
    pub background: Option<Document>,
    /// Each attachment's pages, in order.
    pub attachments: Vec<Document>,
}

/// Takes apart a letter made by [`compose`]: `letter_pages` pages of the
/// letter, then a blank page when [`needs_blank_page`] said so for `sides`,
/// then attachments of `attachment_pages` pages each.
pub fn decompose(
    composed: &Document,
    letter_pages: u32,
    attachment_pages: &[u32],
    sides: Sides,
) -> Result<Decomposed, Finding> {
    let tree = crate::split::PageTree::new(composed);
    let expected_attachments: u32 = attachment_pages.iter().sum();
    let blank = needs_blank_page(letter_pages, sides, !attachment_pages.is_empty());
    let expected = letter_pages
        .saturating_add(u32::from(blank))
        .saturating_add(expected_attachments);
    if usize::try_from(expected).ok() != Some(tree.page_count()) || letter_pages == 0 {
        return Err(broken("its pages are not those of the stored composition"));
    }
    let mut work = composed.clone();
    let mut background: Option<Document> = None;
    for index in 0..letter_pages {
        let Some(page_id) = tree.page_id(index as usize) else {
            continue;
        };
        if let Some(form) = strip_background(&mut work, page_id)
            && background.is_none()
        {
            background = Some(form_as_document(composed, form)?);
        }
    }
    let work_tree = crate::split::PageTree::new(&work);
    let last = letter_pages.saturating_sub(1) as usize;
    let letter = work_tree
        .extract(&work, 0, last)
        .ok_or_else(|| broken("the letter's pages are missing"))?;
    let mut attachments = Vec::new();
    let mut start = letter_pages.saturating_add(u32::from(blank)) as usize;
    for &pages in attachment_pages {
        let end = start.saturating_add(pages as usize);
        let doc = work_tree
            .extract(&work, start, end.saturating_sub(1))
            .ok_or_else(|| broken("an attachment's pages are missing"))?;
        attachments.push(doc);
        start = end;
    }
    Ok(Decomposed {
        letter,
        background,
        attachments,
    })
}

/// Removes the background stream and its resource from a page; returns the
/// form's object id.
fn strip_background(doc: &mut Document, page_id: ObjectId) -> Option<ObjectId> {
    let page = dict_of(doc, page_id)?;
    let Ok(Object::Array(contents)) = page.get(b"Contents") else {
        return None;
    };
    let first = contents.first()?;
    let Object::Reference(marker_id) = first else {
        return None;
    };
    let Ok(Object::Stream(marker)) = doc.get_object(*marker_id) else {
        return None;
    };
    let Ok(Object::Name(name)) = marker.dict.get(MARKER_KEY.as_bytes()) else {
        return None;
    };
    let name = name.clone();
    let rest: Vec<Object> = contents.iter().skip(1).cloned().collect();
    let resources = match get(doc, page, b"Resources") {
        Some(Object::Dictionary(d)) => d.clone(),
        _ => return None,
    };
    let mut xobjects = get_dict(doc, &resources, b"XObject")
        .cloned()
        .unwrap_or_default();
    let form = match xobjects.get(&name) {
        Ok(Object::Reference(id)) => *id,
        _ => return None,
    };
    xobjects.remove(&name);
    let mut resources = resources;
    if xobjects.is_empty() {
        resources.remove(b"XObject");
    } else {
        resources.set("XObject", xobjects);
    }
    let page = doc.get_dictionary_mut(page_id).ok()?;
    page.set("Contents", rest);
    page.set("Resources", resources);
    Some(form)
}

/// A one-page PDF showing a Form XObject of `doc` as its page.
fn form_as_document(doc: &Document, form: ObjectId) -> Result<Document, Finding> {
    let Ok(Object::Stream(stream)) = doc.get_object(form) else {
        return Err(broken("the letterhead is missing"));
    };
    let content = stream
        .decompressed_content_with_limit(IntakeLimits::default().max_decompressed_bytes)
        .unwrap_or_else(|_| stream.content.clone());
    let media = stream
        .dict
        .get(b"BBox")
        .map(|b| resolve(doc, b).clone())
        .unwrap_or_else(|_| a4_box());
    let resources = stream
        .dict
        .get(b"Resources")
        .cloned()
        .unwrap_or_else(|_| Object::Dictionary(Dictionary::new()));
    let mut work = doc.clone();
    let root = pages_root(&work).ok_or_else(|| broken("the page tree has no root"))?;
    let contents = work.add_object(Stream::new(Dictionary::new(), content));
    let page = work.add_object(dictionary! {
        "Type" => "Page", "Parent" => root, "MediaBox" => media,
        "Resources" => resources, "Contents" => contents,
    });
    append_kids(&mut work, root, &[page])?;
    let tree = crate::split::PageTree::new(&work);
    let last = tree.page_count().saturating_sub(1);
    tree.extract(&work, last, last)
        .ok_or_else(|| broken("the letterhead page is missing"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::sample::{SampleLetter, letters_pdf};
    use crate::split::to_bytes;
    use crate::{TextReader, WindowStandard, read_window_in};

    /// A sample letter to `name`; a letterhead (`name` empty) has no address.
    fn sample(name: &str, pages: u32, sender: &[&str]) -> Document {
        let address = if name.is_empty() {
            Vec::new()
        } else {
            vec![name.into(), "Rue du Lac 1".into(), "1003 Lausanne".into()]
        };
        let pdf = letters_pdf(
            &[SampleLetter {
                address,
                pages,
                reference: format!("REF-{name}"),
            }],
            sender,
        );
        load_pdf(&pdf, &IntakeLimits::default()).unwrap()
    }

    fn text_of(doc: &Document, index: usize) -> String {
        let page = TextReader::new(doc).page_text(index).unwrap();
        page.runs
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn letterhead_under_all_pages_and_attachment_after_a_blank_page() {
        let letter = sample("Client Dupont", 3, &[]);
        let bg = sample("", 1, &["Helvetia Fiduciaire SA letterhead"]);
        let coupon = sample("Coupon", 1, &["Reply coupon"]);
        let mut out = compose(
            &letter,
            Some((&bg, BackgroundScope::AllPages)),
            &[&coupon],
            Sides::Duplex,
        )
        .unwrap();
        let bytes = to_bytes(&mut out);
        let again = load_pdf(&bytes, &IntakeLimits::default()).unwrap();
        // 3 letter pages + a blank page + 1 attachment page.
        assert_eq!(again.get_pages().len(), 5);
        inspect_document(&again, &IntakeLimits::default()).unwrap();
        for page in 0..3 {
            let text = text_of(&again, page);
            assert!(text.contains("Helvetia Fiduciaire SA letterhead"), "{text}");
            assert!(text.contains("REF-Client Dupont"), "{text}");
        }
        assert!(text_of(&again, 3).is_empty());
        assert!(text_of(&again, 4).contains("Reply coupon"));
        assert!(!text_of(&again, 4).contains("letterhead"));
        let window = read_window_in(&again, 0, WindowStandard::SwissLeft).unwrap();
        assert_eq!(
            window.address_lines().first().map(String::as_str),
            Some("Client Dupont")
        );
    }

    #[test]
    fn first_page_only_and_simplex_needs_no_blank_page() {
        let letter = sample("Client Muller", 2, &[]);
        let bg = sample("", 2, &["Letterhead line"]);
        let coupon = sample("Coupon", 1, &["Reply coupon"]);
        let out = compose(
            &letter,
            Some((&bg, BackgroundScope::FirstPage)),
            &[&coupon],
            Sides::Simplex,
        )
        .unwrap();
        assert_eq!(out.get_pages().len(), 3);
        assert!(text_of(&out, 0).contains("Letterhead line"));
        assert!(!text_of(&out, 1).contains("Letterhead line"));
        assert!(text_of(&out, 2).contains("Reply coupon"));
        // Duplex with an even letter: no blank page either.
        let out = compose(&letter, None, &[&coupon], Sides::Duplex).unwrap();
        assert_eq!(out.get_pages().len(), 3);
    }

    #[test]
    fn a_composed_letter_comes_apart_again() {
        let letter = sample("Client Dupont", 1, &[]);
        let bg = sample("", 1, &["Letterhead line"]);
        let coupon = sample("Coupon", 2, &["Reply coupon"]);
        let mut out = compose(
            &letter,
            Some((&bg, BackgroundScope::FirstPage)),
            &[&coupon, &coupon],
            Sides::Duplex,
        )
        .unwrap();
        let bytes = to_bytes(&mut out);
        let again = load_pdf(&bytes, &IntakeLimits::default()).unwrap();
        assert_eq!(again.get_pages().len(), 6);
        let parts = decompose(&again, 1, &[2, 2], Sides::Duplex).unwrap();
        assert_eq!(parts.letter.get_pages().len(), 1);
        assert!(!text_of(&parts.letter, 0).contains("Letterhead line"));
        assert!(text_of(&parts.letter, 0).contains("Client Dupont"));
        let bg = parts.background.expect("background");
        assert_eq!(bg.get_pages().len(), 1);
        assert!(text_of(&bg, 0).contains("Letterhead line"));
        inspect_document(&bg, &IntakeLimits::default()).unwrap();
        assert_eq!(parts.attachments.len(), 2);
        assert_eq!(parts.attachments[1].get_pages().len(), 2);
        // A wrong composition is refused, not guessed.
        assert!(decompose(&again, 1, &[2], Sides::Duplex).is_err());
    }

    #[test]
    fn a_hostile_background_is_refused_with_its_code() {
        let pdf = letters_pdf(
            &[SampleLetter {
                address: vec!["X".into()],
                pages: 1,
                reference: "R".into(),
            }],
            &[],
        );
        let mut doc = load_pdf(&pdf, &IntakeLimits::default()).unwrap();
        let js = doc.add_object(dictionary! {
            "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)"),
        });
        doc.catalog_mut().unwrap().set("OpenAction", js);
        let bytes = to_bytes(&mut doc);
        let errors = load_part(
            &bytes,
            &IntakeLimits::default(),
            PartKind::Background,
            "head.pdf",
        )
        .unwrap_err();
        assert_eq!(errors[0].code, BACKGROUND_INVALID);
        assert!(errors[0].message.contains("pdf.javascript"));
        assert!(errors[0].message.contains("head.pdf"));
        let errors =
            load_part(b"nope", &IntakeLimits::default(), PartKind::Attachment, "").unwrap_err();
        assert_eq!(errors[0].code, ATTACHMENT_INVALID);
        assert!(errors[0].message.contains("pdf.unreadable"));
    }

    #[test]
    fn a_background_of_several_pages_warns() {
        let pdf = letters_pdf(
            &[SampleLetter {
                address: vec!["X".into()],
                pages: 2,
                reference: "R".into(),
            }],
            &[],
        );
        let part = load_part(&pdf, &IntakeLimits::default(), PartKind::Background, "").unwrap();
        assert_eq!(part.page_count, 2);
        assert!(
            part.warnings
                .iter()
                .any(|w| w.code == BACKGROUND_PAGES_IGNORED)
        );
        let part = load_part(&pdf, &IntakeLimits::default(), PartKind::Attachment, "").unwrap();
        assert!(part.warnings.is_empty());
    }

    #[test]
    fn placement_maps_offsets_and_rotation() {
        let a4 = PageGeometry {
            page_box: Rect::new(0.0, 0.0, A4_WIDTH_PT, A4_HEIGHT_PT),
            rotate: 0,
            user_unit: 1.0,
        };
        let shifted = PageGeometry {
            page_box: Rect::new(100.0, 50.0, 100.0 + A4_WIDTH_PT, 50.0 + A4_HEIGHT_PT),
            ..a4
        };
        let m = placement(&a4, &shifted);
        assert!((m[0] - 1.0).abs() < 1e-4 && (m[3] - 1.0).abs() < 1e-4);
        assert!((m[4] - 100.0).abs() < 1e-3 && (m[5] - 50.0).abs() < 1e-3);
        // A landscape box shown rotated 90°: the background's top-left
        // corner lands where the reader sees the top-left.
        let rotated = PageGeometry {
            page_box: Rect::new(0.0, 0.0, A4_HEIGHT_PT, A4_WIDTH_PT),
            rotate: 90,
            user_unit: 1.0,
        };
        let m = placement(&a4, &rotated);
        let apply = |x: f32, y: f32| (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]);
        let (x, y) = apply(0.0, A4_HEIGHT_PT);
        let (dx, dy) = to_display(&rotated, x, y);
        assert!(
            dx.abs() < 1e-2 && (dy - A4_HEIGHT_PT).abs() < 1e-2,
            "{dx} {dy}"
        );
    }
}
