//! Parsing a PDF for intake: size, repair of a broken cross-reference table,
//! encryption, object streams charged to the document's budget.

use super::IntakeLimits;
use crate::budget::Budget;
use crate::finding::Finding;
use courrier_domain::codes;
use lopdf::xref::XrefRecovery;
use lopdf::{Document, LoadOptions, Object, ObjectId};

/// Parses a PDF for intake: refuses it when too large, unreadable or
/// protected by a password. The document is then ready for
/// [`inspect_document`] and the window reader.
pub fn load_pdf(bytes: &[u8], limits: &IntakeLimits) -> Result<Document, Finding> {
    if bytes.len() > limits.max_bytes {
        return Err(Finding::error(
            codes::PDF_TOO_LARGE,
            format!(
                "the file is {:.1} MB and the limit is {:.1} MB: split it into smaller files or lower the resolution of its images",
                megabytes(bytes.len()),
                megabytes(limits.max_bytes)
            ),
        ));
    }
    // Readers accept up to 1024 bytes of junk before the header, no more.
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(unreadable("it does not start like a PDF"));
    }
    // Object streams are decompressed while loading: the filter charges them
    // to the document's budget (the entered one, or one for this load).
    let budget =
        Budget::current().unwrap_or_else(|| Budget::new(limits.document_budget(bytes.len())));
    let _entered = budget.enter();
    budget.check()?;
    // lopdf decrypts an encrypted document (one that opens without a
    // password) outside the load filter, decompressing the object streams
    // its cross-reference names with only the per-stream limit. So before
    // loading one, half of what is left of the budget is charged to it and
    // shared out between all the streams it could hold: whatever it holds,
    // its load unpacks no more than that.
    let encrypted_load = names_encryption(bytes);
    let per_stream = if encrypted_load {
        let share = encrypted_stream_share(bytes, budget.remaining());
        budget.charge(share.saturating_mul(stream_keywords(bytes)))?;
        share.min(limits.max_decompressed_bytes)
    } else {
        limits.max_decompressed_bytes
    };
    let load = |force_reconstruct: bool| {
        Document::load_mem_with_options(
            bytes,
            LoadOptions {
                max_decompressed_size: Some(per_stream),
                filter: Some(charge_object_streams),
                force_reconstruct,
                ..LoadOptions::default()
            },
        )
    };
    let loaded = load(false);
    budget.check()?;
    // A filtered load does not rebuild a file whose cross-reference table
    // reads but leads to no page tree; do it as an unfiltered load would.
    let loaded = match loaded {
        Ok(doc)
            if doc.xref_recovery != Some(XrefRecovery::Reconstructed)
                && !doc.was_encrypted()
                && !doc.trailer.has(b"Encrypt")
                && !has_page_tree(&doc) =>
        {
            match load(true) {
                Ok(rebuilt)
                    if rebuilt.xref_recovery == Some(XrefRecovery::Reconstructed)
                        && has_page_tree(&rebuilt) =>
                {
                    budget.check()?;
                    Ok(rebuilt)
                }
                _ => Ok(doc),
            }
        }
        other => other,
    };
    match loaded {
        Ok(doc) if doc.is_encrypted() => Err(encrypted()),
        Ok(mut doc) => {
            drop_object_zero(&mut doc);
            Ok(doc)
        }
        Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)) => Err(encrypted()),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }))
            if encrypted_load =>
        {
            budget.exhaust();
            Err(budget.too_much_data())
        }
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => Err(
            unreadable("one of its streams decompresses to more than the allowed size"),
        ),
        Err(e) => Err(unreadable(&e.to_string())),
    }
}

/// Whether the file names `/Encrypt` anywhere (lopdf loads a document
/// whose trailer does as an encrypted one). Names are read as a PDF parser
/// reads them, `#xx` escapes included, so a spelling such as `/Encr#79pt`
/// is found too.
fn names_encryption(bytes: &[u8]) -> bool {
    const DELIMITERS: &[u8] = b"()<>[]{}/%";
    let mut i = 0;
    while let Some(at) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'/'))
    {
        let mut name = Vec::with_capacity(8);
        let mut j = i + at + 1;
        while let Some(&b) = bytes.get(j) {
            if b.is_ascii_whitespace() || b == 0 || DELIMITERS.contains(&b) || name.len() > 8 {
                break;
            }
            let hex = bytes
                .get(j + 1..j + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (b, hex) {
                (b'#', Some(decoded)) => {
                    name.push(decoded);
                    j += 3;
                }
                _ => {
                    name.push(b);
                    j += 1;
                }
            }
        }
        if name == b"Encrypt" {
            return true;
        }
        i = j.max(i + at + 1);
    }
    false
}

/// How many streams a file could hold, at most: each needs its own
/// `stream` keyword (counted with the `endstream` ones, which only makes
/// the bound safer).
fn stream_keywords(bytes: &[u8]) -> usize {
    bytes.windows(6).filter(|w| *w == b"stream").count().max(1)
}

/// What one stream of an encrypted file may unpack to while it loads: half
/// of `remaining`, shared between all the streams it could hold.
fn encrypted_stream_share(bytes: &[u8], remaining: usize) -> usize {
    (remaining / 2 / stream_keywords(bytes)).max(1)
}

/// Drops what a damaged file holds as object number 0. Object numbers are
/// positive (PDF 32000-1, 7.3.10) and entry 0 of every cross-reference table
/// is the head of the free list, so no reader reaches a `0 0 obj` through
/// the table and no written copy keeps it (lopdf writes it, then marks it
/// free). lopdf's repair of a broken table takes it for an object, so a
/// letter whose page tree root was `0 0 R` passed intake with one page and
/// its composed copy, written and read again, had none. Dropped here, the
/// document intake checks is the one every later copy holds.
fn drop_object_zero(doc: &mut Document) {
    doc.objects.retain(|&(number, _), _| number != 0);
}

fn has_page_tree(doc: &Document) -> bool {
    doc.catalog()
        .and_then(|catalog| catalog.get(b"Pages"))
        .and_then(Object::as_reference)
        .and_then(|root| doc.get_dictionary(root))
        .and_then(|root| root.get_deref(b"Kids", doc))
        .and_then(Object::as_array)
        .is_ok()
}

/// lopdf's load filter (a plain function, so the budget comes from the
/// thread): decompresses each object stream against what is left of the
/// budget and hands it on decompressed, so it is inflated once. Once the
/// budget is spent or the time is up, every object is dropped: the load ends
/// quickly and [`load_pdf`] reports the budget's refusal.
fn charge_object_streams(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let Some(budget) = Budget::current() else {
        return Some((id, object.clone()));
    };
    if budget.check().is_err() {
        return None;
    }
    let Object::Stream(stream) = object else {
        return Some((id, object.clone()));
    };
    if stream.dict.has_type(b"ObjStm") && stream.dict.has(b"Filter") {
        match stream.get_plain_content_with_limit(budget.remaining()) {
            Ok(content) => {
                if budget.charge(content.len()).is_err() {
                    return None;
                }
                stream.dict.remove(b"DecodeParms");
                stream.set_plain_content(content);
            }
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) => {
                budget.exhaust();
                return None;
            }
            // lopdf reports (or skips) a stream it cannot decode itself.
            Err(_) => {}
        }
    }
    // lopdf keeps the object it passed in; what is returned is only used for
    // the members of object streams, which are never streams.
    Some((id, Object::Null))
}

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn unreadable(detail: &str) -> Finding {
    Finding::error(
        codes::PDF_UNREADABLE,
        format!(
            "the file could not be read as a PDF ({detail}): export or save it again as PDF from the program that made it"
        ),
    )
}

pub(super) fn encrypted() -> Finding {
    Finding::error(
        codes::PDF_ENCRYPTED,
        "the PDF is protected by a password: remove the password (save an unprotected copy) and upload it again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_is_found_however_its_name_is_spelt() {
        assert!(names_encryption(b"trailer << /Size 3 /Encrypt 5 0 R >>"));
        assert!(names_encryption(b"<</Encr#79pt 5 0 R/Root 1 0 R>>"));
        assert!(names_encryption(b"<</#45#6E#63#72#79#70#74[]>>"));
        assert!(!names_encryption(
            b"<< /EncryptMetadata false /Encrypted 1 >>"
        ));
        assert!(!names_encryption(b"(Encrypt) /Encryp /ncrypt"));
        assert!(!names_encryption(b"/"));
        // Each stream of an encrypted file gets an equal share of half of
        // what is left.
        let two = b"1 0 obj <<>> stream x endstream";
        assert_eq!(stream_keywords(two), 2);
        assert_eq!(encrypted_stream_share(two, 1000), 250);
        assert_eq!(encrypted_stream_share(b"", 0), 1);
    }
}
