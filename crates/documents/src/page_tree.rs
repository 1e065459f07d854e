//! The pages of a document, read from its page tree the way a viewer shows
//! them, or refused when the tree could be counted in more than one way.
//!
//! lopdf's own walk stops after as many kids as the file has objects, so a
//! /Kids array naming one page object 200,000 times reads as a few pages
//! while viewers (and `qpdf --show-npages`) show 200,000. Courrier bills
//! and prints the pages read here, so a page object may appear only once, a
//! /Pages node may not be its own ancestor or appear twice, and each node's
//! /Count must match the pages below it.
//!
//! Codes: `pdf.page_reused`, `pdf.page_tree_invalid`.

use crate::budget;
use crate::finding::Finding;
use crate::objects::{dict_of, get, get_name, resolve};
use courrier_domain::codes;
use lopdf::{Document, Object, ObjectId};
use std::collections::HashSet;

/// Deepest page tree accepted (real files have 2 to 4 levels).
const MAX_DEPTH: usize = 64;
/// How many kids are looked at between two checks of the time budget.
const CHECK_EVERY: usize = 256;

struct Node<'a> {
    id: ObjectId,
    kids: &'a [Object],
    next: usize,
    pages_before: usize,
    count: Option<i64>,
}

/// The page objects in reading order. A kid that is missing or not a
/// dictionary stays a page (readers show it blank; its size check refuses
/// it), as lopdf does. A document without a page tree has no pages.
pub fn page_ids(doc: &Document) -> Result<Vec<ObjectId>, Finding> {
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|catalog| catalog.get(b"Pages").ok())
        .and_then(|pages| pages.as_reference().ok())
    else {
        return Ok(Vec::new());
    };
    let mut pages: Vec<ObjectId> = Vec::new();
    let mut page_set: HashSet<ObjectId> = HashSet::new();
    let mut nodes: HashSet<ObjectId> = HashSet::new();
    let mut path: Vec<Node<'_>> = Vec::new();
    let Some(root_node) = node(doc, root, 0) else {
        // The root is itself a page (seen in the wild) or unreadable.
        return Ok(match dict_of(doc, root) {
            Some(_) => vec![root],
            None => Vec::new(),
        });
    };
    nodes.insert(root);
    path.push(root_node);
    let mut looked = 0usize;
    while let Some(top) = path.last_mut() {
        looked += 1;
        if looked.is_multiple_of(CHECK_EVERY) {
            budget::check()?;
        }
        let Some(kid) = top.kids.get(top.next) else {
            let done = path.pop();
            if let Some(done) = done {
                let below = pages.len().saturating_sub(done.pages_before);
                if let Some(count) = done.count
                    && usize::try_from(count).ok() != Some(below)
                {
                    return Err(invalid(&format!(
                        "a page tree node says it holds {count} pages but holds {below}"
                    )));
                }
            }
            continue;
        };
        top.next += 1;
        let Object::Reference(id) = kid else {
            return Err(invalid("a page tree entry is not a reference to a page"));
        };
        let id = *id;
        let is_node = dict_of(doc, id).is_some_and(|d| {
            get_name(doc, d, b"Type") == Some(b"Pages")
                || (get_name(doc, d, b"Type").is_none() && d.has(b"Kids"))
        });
        if is_node {
            if path.iter().any(|n| n.id == id) {
                return Err(invalid(
                    "the page tree contains itself (a loop in its /Kids)",
                ));
            }
            if !nodes.insert(id) {
                return Err(reused(pages.len().saturating_add(1)));
            }
            if path.len() >= MAX_DEPTH {
                return Err(invalid("the page tree is nested too deeply"));
            }
            let Some(child) = node(doc, id, pages.len()) else {
                return Err(invalid("a page tree node has no /Kids"));
            };
            path.push(child);
            continue;
        }
        if dict_of(doc, id)
            .is_some_and(|d| !matches!(get_name(doc, d, b"Type"), None | Some(b"Page")))
        {
            // Neither a page nor a node (lopdf and readers skip it).
            continue;
        }
        if !page_set.insert(id) {
            return Err(reused(pages.len().saturating_add(1)));
        }
        pages.push(id);
    }
    Ok(pages)
}

fn node(doc: &Document, id: ObjectId, pages_before: usize) -> Option<Node<'_>> {
    let dict = dict_of(doc, id)?;
    let kids = match get(doc, dict, b"Kids")? {
        Object::Array(kids) => kids.as_slice(),
        _ => return None,
    };
    let count = dict
        .get(b"Count")
        .ok()
        .map(|c| resolve(doc, c))
        .and_then(|c| c.as_i64().ok());
    Some(Node {
        id,
        kids,
        next: 0,
        pages_before,
        count,
    })
}

fn reused(page: usize) -> Finding {
    Finding::error(
        codes::PDF_PAGE_REUSED,
        format!(
            "the page tree shows the same page object again as page {page}: viewers and printers would count more pages than the document has, export it again"
        ),
    )
}

fn invalid(detail: &str) -> Finding {
    Finding::error(
        codes::PDF_PAGE_TREE_INVALID,
        format!("the PDF's list of pages is damaged ({detail}): export it again"),
    )
}
