//! One letter out of a bulk PDF: a new document holding only some pages of a
//! loaded one, so each letter of a run is checked, stored and printed on its
//! own. Objects keep their numbers (nothing is renumbered or re-parsed); only
//! what the chosen pages reach is copied, and a reference to a page outside
//! the letter (a link to another invoice of the run) becomes null, so one
//! letter never carries another's pages. Inheritable page attributes
//! (Resources, MediaBox, CropBox, Rotate) are copied onto each page, since the
//! letter gets a page tree of its own.

use crate::objects::{dict_of, inherited};
use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};
use std::collections::{HashMap, HashSet};

/// The page tree of a loaded document, for extracting many letters from it.
pub struct PageTree {
    /// Page objects in order.
    pages: Vec<ObjectId>,
    /// Every page and page-tree node: never copied by reference.
    nodes: HashSet<ObjectId>,
}

impl PageTree {
    pub fn new(doc: &Document) -> Self {
        // A tree the intake refuses (a page shown twice, a loop) has no pages here.
        let pages: Vec<ObjectId> = crate::page_tree::page_ids(doc).unwrap_or_default();
        let mut nodes: HashSet<ObjectId> = pages.iter().copied().collect();
        for (id, object) in &doc.objects {
            if let Object::Dictionary(d) = object
                && matches!(d.get(b"Type"), Ok(Object::Name(n)) if n.as_slice() == b"Pages")
            {
                nodes.insert(*id);
            }
        }
        Self { pages, nodes }
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The page object of a 0-based page index.
    pub fn page_id(&self, index: usize) -> Option<ObjectId> {
        self.pages.get(index).copied()
    }

    /// A new document made of the 0-based pages `first..=last` (clamped to
    /// the document); `None` when the range holds no page.
    pub fn extract(&self, doc: &Document, first: usize, last: usize) -> Option<Document> {
        let chosen = self
            .pages
            .get(first..=last.min(self.pages.len().saturating_sub(1)))?;
        if chosen.is_empty() {
            return None;
        }
        let mut out = Document::with_version(doc.version.clone());
        let mut copier = Copier {
            doc,
            tree: self,
            keep: chosen.iter().copied().collect(),
            copied: HashMap::new(),
            seen: HashSet::new(),
            todo: Vec::new(),
        };
        let pages_id = (doc.max_id.saturating_add(1), 0);
        let catalog_id = (doc.max_id.saturating_add(2), 0);
        let mut kids = Vec::with_capacity(chosen.len());
        for &page_id in chosen {
            let Some(page) = dict_of(doc, page_id) else {
                continue;
            };
            let mut copy = Dictionary::new();
            for (key, value) in page.iter() {
                if key.as_slice() != b"Parent" {
                    copy.set(key.clone(), copier.object(value));
                }
            }
            for key in [&b"Resources"[..], b"MediaBox", b"CropBox", b"Rotate"] {
                if !copy.has(key)
                    && let Some(value) = inherited(doc, page, key)
                {
                    let value = value.clone();
                    copy.set(key.to_vec(), copier.object(&value));
                }
            }
            copy.set("Parent", pages_id);
            // A page is written as a /Page whatever a damaged file called it
            // (lopdf's writer leaves out objects typed /XRef or /ObjStm).
            copy.set("Type", "Page");
            copier.copied.insert(page_id, Object::Dictionary(copy));
            kids.push(Object::Reference(page_id));
        }
        copier.drain();
        let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
        out.objects = copier.copied.into_iter().collect();
        out.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
        );
        out.objects.insert(
            catalog_id,
            Object::Dictionary(dictionary! { "Type" => "Catalog", "Pages" => pages_id }),
        );
        out.trailer.set("Root", catalog_id);
        out.max_id = catalog_id.0;
        Some(out)
    }
}

/// Copies what a letter's pages reach, one object at a time (no recursion, so
/// a deep or cyclic structure cannot overflow the stack).
struct Copier<'a> {
    doc: &'a Document,
    tree: &'a PageTree,
    keep: HashSet<ObjectId>,
    copied: HashMap<ObjectId, Object>,
    /// Objects queued or copied.
    seen: HashSet<ObjectId>,
    todo: Vec<ObjectId>,
}

impl Copier<'_> {
    /// The value as the letter holds it; references found are queued.
    fn object(&mut self, value: &Object) -> Object {
        let mut value = value.clone();
        self.visit(&mut value);
        value
    }

    fn visit(&mut self, value: &mut Object) {
        let mut stack: Vec<&mut Object> = vec![value];
        while let Some(object) = stack.pop() {
            match object {
                Object::Reference(id) => {
                    if self.tree.nodes.contains(id) && !self.keep.contains(id) {
                        *object = Object::Null;
                    } else if !self.tree.nodes.contains(id) && self.seen.insert(*id) {
                        self.todo.push(*id);
                    }
                }
                Object::Array(items) => stack.extend(items.iter_mut()),
                Object::Dictionary(dict) => stack.extend(dict.iter_mut().map(|(_, v)| v)),
                Object::Stream(stream) => stack.extend(stream.dict.iter_mut().map(|(_, v)| v)),
                _ => {}
            }
        }
    }

    fn drain(&mut self) {
        while let Some(id) = self.todo.pop() {
            let Some(source) = self.doc.objects.get(&id) else {
                continue;
            };
            let mut value = source.clone();
            self.visit(&mut value);
            self.copied.insert(id, value);
        }
    }
}

/// Serialises a document (a letter made by [`PageTree::extract`]).
pub fn to_bytes(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = doc.save_to(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{SampleLetter, letters_pdf};
    use crate::{IntakeLimits, WindowStandard, inspect_document, load_pdf, read_window_in};

    #[test]
    fn a_letter_keeps_only_its_pages() {
        let letters: Vec<SampleLetter> = (0..3)
            .map(|i| SampleLetter {
                address: vec![
                    format!("Client {i}"),
                    "Rue du Lac 1".into(),
                    "1003 Lausanne".into(),
                ],
                pages: i + 1,
                reference: format!("R-{i}"),
            })
            .collect();
        let pdf = letters_pdf(&letters, &["Sender SA"]);
        let doc = load_pdf(&pdf, &IntakeLimits::default()).unwrap();
        let tree = PageTree::new(&doc);
        assert_eq!(tree.page_count(), 6);
        // The third letter: pages 4-6.
        let mut letter = tree.extract(&doc, 3, 5).unwrap();
        let report = inspect_document(&letter, &IntakeLimits::default()).unwrap();
        assert_eq!(report.page_count, 3);
        let window = read_window_in(&letter, 0, WindowStandard::SwissLeft).unwrap();
        assert_eq!(
            window.address_lines().first().map(String::as_str),
            Some("Client 2")
        );
        let bytes = to_bytes(&mut letter);
        let again = load_pdf(&bytes, &IntakeLimits::default()).unwrap();
        assert_eq!(again.get_pages().len(), 3);
        assert!(bytes.len() < pdf.len());
        assert!(tree.extract(&doc, 6, 7).is_none());
    }
}
