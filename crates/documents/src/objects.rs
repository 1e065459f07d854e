//! Small helpers to read lopdf objects without panicking: follow references,
//! read numbers and names, walk inherited page attributes. Anything malformed
//! reads as "absent", and the caller decides what absence means.

use lopdf::{Dictionary, Document, Object, ObjectId};

/// How many /Parent links an inherited attribute lookup follows at most.
const MAX_TREE_DEPTH: usize = 64;

static NULL: Object = Object::Null;

/// The object itself, or what a reference (chain) points to; `Null` when the
/// target is missing.
pub(crate) fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(_) => doc.dereference(object).map(|(_, o)| o).unwrap_or(&NULL),
        other => other,
    }
}

/// A dictionary value, references followed.
pub(crate) fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    match dict.get(key).map(|o| resolve(doc, o)) {
        Ok(Object::Null) | Err(_) => None,
        Ok(object) => Some(object),
    }
}

pub(crate) fn get_dict<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Dictionary> {
    match get(doc, dict, key)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

pub(crate) fn get_name<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a [u8]> {
    match get(doc, dict, key)? {
        Object::Name(n) => Some(n.as_slice()),
        _ => None,
    }
}

pub(crate) fn get_array<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a [Object]> {
    match get(doc, dict, key)? {
        Object::Array(a) => Some(a.as_slice()),
        _ => None,
    }
}

pub(crate) fn get_number(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<f32> {
    number(get(doc, dict, key)?)
}

/// An integer or real as `f32`; `None` for anything else or a non-finite value.
pub(crate) fn number(object: &Object) -> Option<f32> {
    let value = match object {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        _ => return None,
    };
    value.is_finite().then_some(value)
}

/// A number, references followed.
pub(crate) fn number_in(doc: &Document, object: &Object) -> Option<f32> {
    number(resolve(doc, object))
}

/// The dictionary of an object id (a dictionary, or a stream's dictionary).
pub(crate) fn dict_of(doc: &Document, id: ObjectId) -> Option<&Dictionary> {
    match doc.get_object(id).ok()? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// An attribute of a page, inherited from its /Parent chain when the page
/// does not carry it (PDF 32000-1, 7.7.3.4: Resources, MediaBox, CropBox,
/// Rotate). None of them can be a stream: a damaged file's stream there is
/// no value, and copying it (resolved) into another object would write a
/// stream inside a dictionary, which no reader can parse.
pub(crate) fn inherited<'a>(
    doc: &'a Document,
    page: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..MAX_TREE_DEPTH {
        if let Some(value) = get(doc, node, key) {
            return (!matches!(value, Object::Stream(_))).then_some(value);
        }
        node = get_dict(doc, node, b"Parent")?;
    }
    None
}
