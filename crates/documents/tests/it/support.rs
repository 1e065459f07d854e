//! Builds test PDFs in code with lopdf's object model.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

pub const A4: [f32; 4] = [0.0, 0.0, 595.276, 841.89];
pub const A4_HEIGHT: f32 = 841.89;

pub fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// y in points (from the bottom) of a baseline `mm_from_top` below the top of an A4 page.
pub fn y_from_top(mm_from_top: f32) -> f32 {
    A4_HEIGHT - mm(mm_from_top)
}

fn rect(r: [f32; 4]) -> Object {
    Object::Array(r.iter().map(|v| Object::Real(*v)).collect())
}

pub struct Pdf {
    pub doc: Document,
    pub pages: ObjectId,
    pub catalog: ObjectId,
    kids: Vec<Object>,
    pages_extra: Vec<(String, Object)>,
}

impl Default for Pdf {
    fn default() -> Self {
        Self::new()
    }
}

impl Pdf {
    pub fn new() -> Self {
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        Pdf {
            doc,
            pages,
            catalog,
            kids: Vec::new(),
            pages_extra: Vec::new(),
        }
    }

    /// Standard Type1 Helvetica, WinAnsiEncoding, no /Widths (standard 14 metrics apply).
    pub fn helvetica(&mut self) -> ObjectId {
        self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
        })
    }

    /// A TrueType font that is neither embedded nor standard, with /Widths.
    pub fn arial_not_embedded(&mut self) -> ObjectId {
        let descriptor = self.doc.add_object(dictionary! {
            "Type" => "FontDescriptor", "FontName" => "ArialMT", "Flags" => 32, "ItalicAngle" => 0,
            "Ascent" => 905, "Descent" => -212, "CapHeight" => 716, "StemV" => 80,
            "FontBBox" => vec![(-665).into(), (-325).into(), 2000.into(), 1006.into()],
        });
        let widths: Vec<Object> = (32..=255).map(|_| Object::Integer(556)).collect();
        self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "TrueType", "BaseFont" => "ArialMT", "Encoding" => "WinAnsiEncoding",
            "FirstChar" => 32, "LastChar" => 255, "Widths" => widths, "FontDescriptor" => descriptor,
        })
    }

    /// A Type0 font (Identity-H, CIDFontType2 with /W, embedded FontFile2)
    /// whose glyph ids are [`CID_ALPHABET`] positions + 1, with a ToUnicode
    /// CMap using both bfrange (A–Z) and bfchar (the rest).
    pub fn cid_font(&mut self) -> ObjectId {
        let file = self.doc.add_object(Stream::new(
            dictionary! {},
            b"not really a font program".to_vec(),
        ));
        let descriptor = self.doc.add_object(dictionary! {
            "Type" => "FontDescriptor", "FontName" => "ABCDEF+NotoSans", "Flags" => 4, "ItalicAngle" => 0,
            "Ascent" => 1069, "Descent" => -293, "CapHeight" => 714, "StemV" => 80, "FontFile2" => file,
            "FontBBox" => vec![(-621).into(), (-389).into(), 2800.into(), 1067.into()],
        });
        // Widths: every glyph 600, except space (500) given as a range entry.
        let n = CID_ALPHABET.chars().count() as i64;
        let widths: Vec<Object> = (0..n).map(|_| Object::Integer(600)).collect();
        let space = cid_of(' ') as i64;
        let w = vec![
            Object::Integer(1),
            Object::Array(widths),
            space.into(),
            space.into(),
            500.into(),
        ];
        let cid_font = self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "ABCDEF+NotoSans",
            "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"), "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
            "FontDescriptor" => descriptor, "DW" => 1000, "W" => w, "CIDToGIDMap" => "Identity",
        });
        let to_unicode = self
            .doc
            .add_object(Stream::new(dictionary! {}, to_unicode_cmap()));
        self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "ABCDEF+NotoSans", "Encoding" => "Identity-H",
            "DescendantFonts" => vec![cid_font.into()], "ToUnicode" => to_unicode,
        })
    }

    /// Adds a page; `fonts` become /Resources /Font entries.
    pub fn page(
        &mut self,
        media: [f32; 4],
        rotate: Option<i64>,
        content: &[u8],
        fonts: &[(&str, ObjectId)],
    ) -> ObjectId {
        let mut font_dict = Dictionary::new();
        for (name, id) in fonts {
            font_dict.set(*name, *id);
        }
        let mut page = dictionary! {
            "Type" => "Page", "MediaBox" => rect(media),
            "Resources" => dictionary! { "Font" => font_dict },
        };
        if let Some(r) = rotate {
            page.set("Rotate", r);
        }
        self.page_dict(page, content)
    }

    /// Adds a page from a ready dictionary (Parent and Contents are set here).
    pub fn page_dict(&mut self, mut page: Dictionary, content: &[u8]) -> ObjectId {
        let contents = self
            .doc
            .add_object(Stream::new(dictionary! {}, content.to_vec()));
        page.set("Parent", self.pages);
        page.set("Contents", contents);
        let id = self.doc.add_object(page);
        self.kids.push(id.into());
        id
    }

    /// Sets an entry of the page tree root (e.g. an inherited MediaBox).
    pub fn pages_entry(&mut self, key: &str, value: Object) {
        self.pages_extra.push((key.to_string(), value));
    }

    pub fn catalog_entry(&mut self, key: &str, value: impl Into<Object>) {
        let catalog = self.doc.get_dictionary_mut(self.catalog).unwrap();
        catalog.set(key, value.into());
    }

    fn finish(&mut self) {
        let mut pages = dictionary! {
            "Type" => "Pages", "Kids" => self.kids.clone(), "Count" => self.kids.len() as i64,
        };
        for (k, v) in self.pages_extra.drain(..) {
            pages.set(k, v);
        }
        self.doc
            .objects
            .insert(self.pages, Object::Dictionary(pages));
    }

    pub fn bytes(mut self) -> Vec<u8> {
        self.finish();
        let mut out = Vec::new();
        self.doc.save_to(&mut out).unwrap();
        out
    }

    /// The finished document, without a save/load round trip.
    pub fn document(mut self) -> Document {
        self.finish();
        self.doc
    }
}

/// Characters the test CID font has, in glyph-id order (glyph 1 = ' ').
pub const CID_ALPHABET: &str =
    " ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,-/&'äöüÄÖÜéèàçß";

pub fn cid_of(c: char) -> u16 {
    CID_ALPHABET
        .chars()
        .position(|x| x == c)
        .expect("char in test alphabet") as u16
        + 1
}

/// A text string for the CID font: two bytes per glyph id.
pub fn cid_string(text: &str) -> Object {
    let bytes: Vec<u8> = text.chars().flat_map(|c| cid_of(c).to_be_bytes()).collect();
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// The same, written as a hex string for a content stream.
pub fn cid_hex(text: &str) -> String {
    let hex: String = text.chars().map(|c| format!("{:04X}", cid_of(c))).collect();
    format!("<{hex}>")
}

fn to_unicode_cmap() -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let upper_start = cid_of('A');
    s.push_str(&format!(
        "1 beginbfrange\n<{:04X}> <{:04X}> <0041>\nendbfrange\n",
        upper_start,
        upper_start + 25
    ));
    let rest: Vec<char> = CID_ALPHABET
        .chars()
        .filter(|c| !c.is_ascii_uppercase())
        .collect();
    s.push_str(&format!("{} beginbfchar\n", rest.len()));
    for c in rest {
        let mut units = [0u16; 2];
        let encoded = c.encode_utf16(&mut units);
        let hex: String = encoded.iter().map(|u| format!("{u:04X}")).collect();
        s.push_str(&format!("<{:04X}> <{hex}>\n", cid_of(c)));
    }
    s.push_str("endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// A PDF literal string with WinAnsi bytes for Latin-1 text, octal-escaped.
pub fn winansi(text: &str) -> String {
    let mut out = String::from("(");
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x80 => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\{:03o}", c as u32)),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// Content that writes `lines` with Helvetica (F1) at 11 pt from (x, y),
/// 13 pt apart, using TL and T*.
pub fn helvetica_lines(x: f32, y: f32, lines: &[&str]) -> String {
    let mut s = format!("BT /F1 11 Tf 13 TL {x:.2} {y:.2} Td\n");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            s.push_str("T* ");
        }
        s.push_str(&format!("{} Tj\n", winansi(line)));
    }
    s.push_str("ET\n");
    s
}

/// A one-page A4 letter in Helvetica: a letterhead at the top, the address
/// in the Swiss left window (22 mm from the left, 60 mm from the top), and
/// body text below.
pub fn swiss_letter(address: &[&str]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let mut content = helvetica_lines(
        mm(22.0),
        y_from_top(20.0),
        &["Muster Treuhand AG", "Seestrasse 5, 8002 Zürich"],
    );
    content.push_str(&helvetica_lines(mm(24.0), y_from_top(65.0), address));
    content.push_str(&helvetica_lines(
        mm(22.0),
        y_from_top(110.0),
        &["Sehr geehrte Damen und Herren", "Wir danken Ihnen."],
    ));
    pdf.page(A4, None, content.as_bytes(), &[("F1", f1)]);
    pdf.bytes()
}

/// A landscape page (MediaBox and Rotate inherited from the page tree) whose
/// address is in a form XObject, with an open action running JavaScript and
/// text drawn with the ' and " operators in an invisible render mode.
pub fn form_rotated_with_action() -> Vec<u8> {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let form = pdf.doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
            "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 60.into(), 640.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => f1 } },
        },
        helvetica_lines(0.0, 0.0, &["Hans Muster", "3000 Bern"]).into_bytes(),
    ));
    let page = dictionary! {
        "Type" => "Page",
        "Resources" => dictionary! { "XObject" => dictionary! { "Fm1" => form }, "Font" => dictionary! { "F1" => f1 } },
        "AA" => dictionary! { "O" => dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("x") } },
    };
    pdf.page_dict(
        page,
        b"q /Fm1 Do Q BT /F1 9 Tf 3 Tr 10 TL 50 50 Td (a) ' 1 2 (b) \" ET",
    );
    pdf.pages_entry(
        "MediaBox",
        Object::Array(vec![0.into(), 0.into(), 841.89.into(), 595.276.into()]),
    );
    pdf.pages_entry("Rotate", Object::Integer(90));
    pdf.bytes()
}

/// Encrypts `doc` with AES-128 (security handler V4), owner password
/// "owner" and the given user password ("" opens without one); the state
/// encrypts objects written after it.
pub fn encrypt_aes128(doc: &mut Document, user_password: &str) -> lopdf::EncryptionState {
    use lopdf::encryption::crypt_filters::{Aes128CryptFilter, CryptFilter};
    use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::string_literal(b"0123456789abcdef"),
            Object::string_literal(b"fedcba9876543210"),
        ]),
    );
    let filter: std::sync::Arc<dyn CryptFilter> = std::sync::Arc::new(Aes128CryptFilter);
    let state = EncryptionState::try_from(EncryptionVersion::V4 {
        document: doc,
        encrypt_metadata: true,
        crypt_filters: std::collections::BTreeMap::from([(b"StdCF".to_vec(), filter)]),
        stream_filter: b"StdCF".to_vec(),
        string_filter: b"StdCF".to_vec(),
        owner_password: "owner",
        user_password,
        permissions: Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    state
}
