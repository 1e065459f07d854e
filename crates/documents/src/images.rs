//! A finished scan made of several files: PDFs from a scanner and JPEG or
//! PNG photos from a phone (one per page), combined in the clerk's order
//! into one PDF, in process.
//!
//! - A PDF keeps its pages as they are (size, rotation, content); only the
//!   pages are copied, through [`PageTree::extract`], then renumbered into
//!   the combined document.
//! - A JPEG is embedded as it is (`DCTDecode`, no re-encoding, so no loss and
//!   no decoder); its size and colour come from its frame header, and its
//!   EXIF orientation (phones store portrait photos sideways) is applied by
//!   the placement matrix, not by touching the pixels.
//! - A PNG is decoded (8-bit grey or RGB; transparency is flattened onto
//!   white) and embedded with `FlateDecode`.
//!
//! An image gets an A4 page (portrait, or landscape for a wide picture)
//! and is fitted inside it keeping its aspect ratio, centred. Any file that
//! is not a readable PDF, JPEG or PNG refuses the whole scan with
//! `mail.scan_file_invalid`, naming the file; sizes beyond [`ScanLimits`]
//! are `mail.scan_too_large`.

use crate::budget;
use crate::finding::Finding;
use crate::inspect::{IntakeLimits, load_pdf};
use crate::split::PageTree;
use courrier_domain::codes;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

mod png_photo;

use png_photo::png_xobject;

/// A4 in points.
pub const A4_WIDTH_PT: f32 = 595.276;
pub const A4_HEIGHT_PT: f32 = 841.89;

/// One uploaded file of a scan and the name the clerk's device gave it.
#[derive(Debug, Clone, Copy)]
pub struct ScanPart<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// Bounds of one scan upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanLimits {
    /// Largest single file. Default 25 MiB (a phone photo is 2 to 8 MB).
    pub max_file_bytes: usize,
    /// All files together. Default 50 MiB, the upload limit.
    pub max_total_bytes: usize,
    /// Files in one scan. Default 100.
    pub max_files: usize,
    /// Pixels of one PNG or JPEG image. Default 50 million (a 200 dpi A4
    /// page is under 4 million).
    pub max_png_pixels: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 25 * 1024 * 1024,
            max_total_bytes: 50 * 1024 * 1024,
            max_files: 100,
            max_png_pixels: 50_000_000,
        }
    }
}

/// The kind of a scan file, told by its first bytes (never by its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFileKind {
    Pdf,
    Jpeg,
    Png,
}

impl ScanFileKind {
    pub fn of(bytes: &[u8]) -> Option<ScanFileKind> {
        let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
        if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(ScanFileKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ScanFileKind::Png)
        } else if head.windows(5).any(|w| w == b"%PDF-") {
            Some(ScanFileKind::Pdf)
        } else {
            None
        }
    }
}

/// The combined PDF and its page count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinedScan {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

fn megabytes(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn file_invalid(name: &str, why: impl std::fmt::Display) -> Finding {
    Finding::error(
        codes::MAIL_SCAN_FILE_INVALID,
        format!("{}: {why}", display_name(name)),
    )
}

/// The file name for messages: no control characters, at most 80 characters.
fn display_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
    if clean.trim().is_empty() {
        "(unnamed file)".to_string()
    } else {
        format!("'{clean}'")
    }
}

/// Checks the sizes of the parts before anything is parsed.
pub fn check_sizes(parts: &[ScanPart<'_>], limits: &ScanLimits) -> Result<(), Finding> {
    if parts.is_empty() {
        return Err(Finding::error(
            codes::MAIL_SCAN_INVALID,
            "choose the scan: one or more PDF, JPEG or PNG files",
        ));
    }
    if parts.len() > limits.max_files {
        return Err(Finding::error(
            codes::MAIL_SCAN_TOO_LARGE,
            format!(
                "a scan has at most {} files, not {}",
                limits.max_files,
                parts.len()
            ),
        ));
    }
    for p in parts {
        if p.bytes.len() > limits.max_file_bytes {
            return Err(Finding::error(
                codes::MAIL_SCAN_TOO_LARGE,
                format!(
                    "{} is {} MB and one file may be at most {} MB",
                    display_name(p.name),
                    megabytes(p.bytes.len()),
                    megabytes(limits.max_file_bytes)
                ),
            ));
        }
    }
    let total: usize = parts.iter().map(|p| p.bytes.len()).sum();
    if total > limits.max_total_bytes {
        return Err(Finding::error(
            codes::MAIL_SCAN_TOO_LARGE,
            format!(
                "the files add up to {} MB and a scan may be at most {} MB",
                megabytes(total),
                megabytes(limits.max_total_bytes)
            ),
        ));
    }
    Ok(())
}

/// Combines the parts, in order, into one PDF.
pub fn combine_scan(parts: &[ScanPart<'_>], limits: &ScanLimits) -> Result<CombinedScan, Finding> {
    check_sizes(parts, limits)?;
    let mut out = Document::with_version("1.7");
    let pages_id = out.new_object_id();
    let mut kids: Vec<ObjectId> = Vec::new();
    for part in parts {
        budget::check()?;
        match ScanFileKind::of(part.bytes) {
            Some(ScanFileKind::Pdf) => append_pdf(&mut out, pages_id, part, limits, &mut kids)?,
            Some(ScanFileKind::Jpeg) => {
                let jpeg = read_jpeg(part.bytes).map_err(|why| file_invalid(part.name, why))?;
                // Embedded as is, but every viewer, the printer and OCR decode it.
                if u64::from(jpeg.width) * u64::from(jpeg.height) > limits.max_png_pixels {
                    return Err(file_invalid(
                        part.name,
                        format!(
                            "the JPEG image has {} × {} pixels; the limit is {} million",
                            jpeg.width,
                            jpeg.height,
                            limits.max_png_pixels / 1_000_000
                        ),
                    ));
                }
                let image = jpeg_xobject(&jpeg, part.bytes);
                kids.push(image_page(&mut out, pages_id, image, &jpeg.placement()));
            }
            Some(ScanFileKind::Png) => {
                let image =
                    png_xobject(part.bytes, limits).map_err(|why| file_invalid(part.name, why))?;
                let placement = Placement {
                    width: image.width,
                    height: image.height,
                    orientation: 1,
                };
                kids.push(image_page(&mut out, pages_id, image.stream, &placement));
            }
            None => {
                return Err(file_invalid(
                    part.name,
                    "not a PDF, JPEG or PNG file; scan to PDF or photograph the pages",
                ));
            }
        }
    }
    let count = kids.len();
    out.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.into_iter().map(Object::Reference).collect::<Vec<_>>(),
            "Count" => i64::try_from(count).unwrap_or(i64::MAX),
        }),
    );
    let catalog = out.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    out.trailer.set("Root", catalog);
    let mut pdf = Vec::new();
    out.save_to(&mut pdf).map_err(|e| {
        Finding::error(
            codes::MAIL_SCAN_INVALID,
            format!("the combined PDF could not be written: {e}"),
        )
    })?;
    Ok(CombinedScan { pdf, pages: count })
}

/// Copies every page of a PDF part into `out`, under `pages_id`.
fn append_pdf(
    out: &mut Document,
    pages_id: ObjectId,
    part: &ScanPart<'_>,
    limits: &ScanLimits,
    kids: &mut Vec<ObjectId>,
) -> Result<(), Finding> {
    let intake = IntakeLimits {
        max_bytes: limits.max_file_bytes,
        ..IntakeLimits::default()
    };
    let doc = load_pdf(part.bytes, &intake).map_err(|f| file_invalid(part.name, f.message))?;
    // A page shown twice, a looping page tree, active content.
    crate::inspect::check_content(&doc).map_err(|f| file_invalid(part.name, f.message))?;
    let tree = PageTree::new(&doc);
    if tree.page_count() == 0 {
        return Err(file_invalid(part.name, "the PDF has no pages"));
    }
    let mut copy = tree
        .extract(&doc, 0, tree.page_count().saturating_sub(1))
        .ok_or_else(|| file_invalid(part.name, "its pages could not be read"))?;
    copy.renumber_objects_with(out.max_id.saturating_add(1));
    let pages: Vec<ObjectId> = crate::page_tree::page_ids(&copy)?;
    // A page the tree lists but that cannot be read is refused, never left
    // out of the scan without a word.
    if pages.len() != tree.page_count() {
        return Err(file_invalid(
            part.name,
            format!(
                "{} of its {} pages could not be read; scan it again",
                tree.page_count().saturating_sub(pages.len()),
                tree.page_count()
            ),
        ));
    }
    let catalog = copy
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok();
    let tree_root = catalog
        .and_then(|c| copy.get_dictionary(c).ok())
        .and_then(|c| c.get(b"Pages").and_then(Object::as_reference).ok());
    for (id, object) in std::mem::take(&mut copy.objects) {
        if Some(id) == catalog || Some(id) == tree_root {
            continue;
        }
        out.objects.insert(id, object);
    }
    out.max_id = out.max_id.max(copy.max_id);
    for page in &pages {
        if let Some(Object::Dictionary(d)) = out.objects.get_mut(page) {
            d.set("Parent", pages_id);
        }
    }
    kids.extend(pages);
    Ok(())
}

/// How an image is drawn: its stored size and EXIF orientation (1 to 8).
struct Placement {
    width: u32,
    height: u32,
    orientation: u8,
}

impl Placement {
    /// Width and height as displayed (orientations 5 to 8 turn the picture
    /// a quarter).
    fn displayed(&self) -> (f32, f32) {
        let (w, h) = (self.width as f32, self.height as f32);
        if (5..=8).contains(&self.orientation) {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// The A4 page for the picture and the drawing matrix `a b c d e f`
    /// that maps the image's unit square onto it, fitted and centred.
    fn on_a4(&self) -> ((f32, f32), [f32; 6]) {
        let (dw, dh) = self.displayed();
        let (pw, ph) = if dw > dh {
            (A4_HEIGHT_PT, A4_WIDTH_PT)
        } else {
            (A4_WIDTH_PT, A4_HEIGHT_PT)
        };
        let scale = (pw / dw.max(1.0)).min(ph / dh.max(1.0));
        let (w, h) = (dw * scale, dh * scale);
        let (x, y) = ((pw - w) / 2.0, (ph - h) / 2.0);
        // Displayed X, Y (0..1, Y up) as functions of the image's u, v.
        let (xu, xv, x0, yu, yv, y0) = match self.orientation {
            2 => (-1.0, 0.0, 1.0, 0.0, 1.0, 0.0),
            3 => (-1.0, 0.0, 1.0, 0.0, -1.0, 1.0),
            4 => (1.0, 0.0, 0.0, 0.0, -1.0, 1.0),
            5 => (0.0, -1.0, 1.0, -1.0, 0.0, 1.0),
            6 => (0.0, 1.0, 0.0, -1.0, 0.0, 1.0),
            7 => (0.0, 1.0, 0.0, 1.0, 0.0, 0.0),
            8 => (0.0, -1.0, 1.0, 1.0, 0.0, 0.0),
            _ => (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
        };
        (
            (pw, ph),
            [w * xu, h * yu, w * xv, h * yv, x + w * x0, y + h * y0],
        )
    }
}

/// Adds a page showing `image` and returns its id.
fn image_page(
    out: &mut Document,
    pages_id: ObjectId,
    image: Stream,
    placement: &Placement,
) -> ObjectId {
    let image_id = out.add_object(image);
    let ((pw, ph), m) = placement.on_a4();
    let ops = format!(
        "q {:.4} {:.4} {:.4} {:.4} {:.4} {:.4} cm /Im0 Do Q",
        m[0], m[1], m[2], m[3], m[4], m[5]
    );
    let content = out.add_object(Stream::new(Dictionary::new(), ops.into_bytes()));
    out.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), Object::Real(pw), Object::Real(ph)],
        "Resources" => dictionary! {
            "XObject" => dictionary! { "Im0" => image_id },
        },
        "Contents" => content,
    })
}

/// What a JPEG's headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JpegInfo {
    width: u32,
    height: u32,
    components: u8,
    bits: u8,
    /// An Adobe APP14 segment: CMYK data is stored inverted.
    adobe: bool,
    orientation: u8,
}

impl JpegInfo {
    fn placement(&self) -> Placement {
        Placement {
            width: self.width,
            height: self.height,
            orientation: self.orientation,
        }
    }
}

/// Walks the marker segments up to the frame header.
fn read_jpeg(bytes: &[u8]) -> Result<JpegInfo, String> {
    let truncated = || "the JPEG file is cut short".to_string();
    let mut pos = 2usize;
    let mut adobe = false;
    let mut orientation = 1u8;
    loop {
        // Markers may be padded with 0xFF fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if bytes.get(pos) != Some(&0xFF) {
            return Err("the JPEG file is damaged (no marker where one was expected)".into());
        }
        let marker = *bytes.get(pos + 1).ok_or_else(truncated)?;
        pos += 2;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return Err("the JPEG file has no frame header".into());
        }
        let len_bytes = bytes.get(pos..pos + 2).ok_or_else(truncated)?;
        let len = usize::from(u16::from_be_bytes([
            *len_bytes.first().ok_or_else(truncated)?,
            *len_bytes.get(1).ok_or_else(truncated)?,
        ]));
        if len < 2 {
            return Err("the JPEG file is damaged (bad segment length)".into());
        }
        let segment = bytes.get(pos + 2..pos + len).ok_or_else(truncated)?;
        match marker {
            0xE1 if segment.starts_with(b"Exif\0\0") => {
                if let Some(o) = exif_orientation(segment.get(6..).unwrap_or_default()) {
                    orientation = o;
                }
            }
            0xEE if segment.starts_with(b"Adobe") => adobe = true,
            // Start of frame: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                let get = |i: usize| segment.get(i).copied().ok_or_else(truncated);
                let bits = get(0)?;
                let height = u32::from(u16::from_be_bytes([get(1)?, get(2)?]));
                let width = u32::from(u16::from_be_bytes([get(3)?, get(4)?]));
                let components = get(5)?;
                if width == 0 || height == 0 {
                    return Err("the JPEG image has no size".into());
                }
                if !matches!(components, 1 | 3 | 4) {
                    return Err(format!("the JPEG image has {components} colour components"));
                }
                return Ok(JpegInfo {
                    width,
                    height,
                    components,
                    bits,
                    adobe,
                    orientation,
                });
            }
            _ => {}
        }
        pos += len;
    }
}

/// The orientation tag (0x0112) of a TIFF-structured EXIF block, if valid.
fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = tiff.get(i..i + 2)?;
        let a = [*b.first()?, *b.get(1)?];
        Some(if little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b = tiff.get(i..i + 4)?;
        let a = [*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?];
        Some(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    for n in 0..entries.min(256) {
        let entry = ifd + 2 + n * 12;
        if u16_at(entry)? == 0x0112 {
            let value = u16_at(entry + 8)?;
            return u8::try_from(value).ok().filter(|v| (1..=8).contains(v));
        }
    }
    None
}

fn jpeg_xobject(info: &JpegInfo, bytes: &[u8]) -> Stream {
    let mut dict = dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => i64::from(info.width),
        "Height" => i64::from(info.height),
        "BitsPerComponent" => i64::from(info.bits),
        "Filter" => "DCTDecode",
    };
    match info.components {
        1 => dict.set("ColorSpace", "DeviceGray"),
        4 => {
            dict.set("ColorSpace", "DeviceCMYK");
            if info.adobe {
                dict.set(
                    "Decode",
                    [1, 0, 1, 0, 1, 0, 1, 0]
                        .iter()
                        .map(|v| Object::Integer(*v))
                        .collect::<Vec<_>>(),
                );
            }
        }
        _ => dict.set("ColorSpace", "DeviceRGB"),
    }
    // Already compressed: lopdf must not deflate it again.
    Stream::new(dict, bytes.to_vec()).with_compression(false)
}

#[cfg(test)]
mod tests;
