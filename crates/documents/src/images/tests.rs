use super::*;
use crate::inspect::load_pdf;

/// A JPEG with only the headers this module reads: enough to embed.
fn jpeg_headers(width: u16, height: u16, orientation: Option<u16>) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    if let Some(o) = orientation {
        // APP1 Exif, little-endian TIFF with one IFD entry (orientation).
        let mut tiff = b"II*\0".to_vec();
        tiff.extend_from_slice(&8u32.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&o.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut seg = b"Exif\0\0".to_vec();
        seg.extend_from_slice(&tiff);
        j.extend_from_slice(&[0xFF, 0xE1]);
        j.extend_from_slice(&u16::try_from(seg.len() + 2).unwrap().to_be_bytes());
        j.extend_from_slice(&seg);
    }
    j.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    j.extend_from_slice(&height.to_be_bytes());
    j.extend_from_slice(&width.to_be_bytes());
    j.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn png_bytes(width: u32, height: u32, colour: png::ColorType) -> Vec<u8> {
    let channels = match colour {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        _ => 4,
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(colour);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        let data: Vec<u8> = (0..width * height * channels)
            .map(|i| (i % 251) as u8)
            .collect();
        w.write_image_data(&data).unwrap();
    }
    out
}

fn part<'a>(name: &'a str, bytes: &'a [u8]) -> ScanPart<'a> {
    ScanPart { name, bytes }
}

fn media_boxes(pdf: &[u8]) -> Vec<(f32, f32)> {
    let doc = load_pdf(pdf, &IntakeLimits::default()).unwrap();
    doc.page_iter()
        .map(|id| {
            let page = doc.get_dictionary(id).unwrap();
            let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
            let n = |o: &Object| o.as_float().unwrap();
            (n(&mb[2]) - n(&mb[0]), n(&mb[3]) - n(&mb[1]))
        })
        .collect()
}

#[test]
fn images_and_pdfs_make_one_pdf_in_order() {
    let sample = crate::sample::letters_pdf(
        &[crate::sample::SampleLetter {
            address: vec![
                "Boulangerie Dupont".into(),
                "Rue du Port 1".into(),
                "1003 Lausanne".into(),
            ],
            pages: 2,
            reference: "A-1".into(),
        }],
        &["Banque Cantonale", "Place 1", "1000 Lausanne"],
    );
    let photo = jpeg_headers(3000, 4000, None);
    let wide = png_bytes(40, 20, png::ColorType::Rgba);
    let grey = png_bytes(21, 30, png::ColorType::Grayscale);
    let parts = [
        part("page1.jpg", &photo),
        part("letter.pdf", &sample),
        part("page3.png", &wide),
        part("page4.png", &grey),
    ];
    let combined = combine_scan(&parts, &ScanLimits::default()).unwrap();
    let sample_pages = load_pdf(&sample, &IntakeLimits::default())
        .unwrap()
        .get_pages()
        .len();
    assert_eq!(combined.pages, 3 + sample_pages);
    let boxes = media_boxes(&combined.pdf);
    assert_eq!(boxes.len(), combined.pages, "the saved PDF has every page");
    let a4 = (A4_WIDTH_PT, A4_HEIGHT_PT);
    let close = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).abs() < 1.0 && (a.1 - b.1).abs() < 1.0;
    assert!(
        close(boxes[0], a4),
        "a portrait photo gets portrait A4: {:?}",
        boxes[0]
    );
    assert!(
        close(*boxes.last().unwrap(), a4),
        "a narrow PNG gets portrait A4"
    );
    assert!(
        close(boxes[boxes.len() - 2], (A4_HEIGHT_PT, A4_WIDTH_PT)),
        "a wide picture gets landscape A4: {:?}",
        boxes[boxes.len() - 2]
    );
    // The JPEG is embedded as it is.
    let doc = load_pdf(&combined.pdf, &IntakeLimits::default()).unwrap();
    let jpeg_streams: Vec<&Stream> = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| matches!(s.dict.get(b"Filter"), Ok(Object::Name(n)) if n == b"DCTDecode"))
        .collect();
    assert_eq!(jpeg_streams.len(), 1);
    assert_eq!(jpeg_streams[0].content, photo);
    let flate_images = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| matches!(s.dict.get(b"Subtype"), Ok(Object::Name(n)) if n == b"Image"))
        .filter(|s| matches!(s.dict.get(b"Filter"), Ok(Object::Name(n)) if n == b"FlateDecode"))
        .count();
    assert_eq!(flate_images, 2, "both PNGs are deflated pixels");
}

#[test]
fn image_fits_a4_keeping_its_aspect_ratio() {
    let p = Placement {
        width: 1000,
        height: 1000,
        orientation: 1,
    };
    let ((w, h), m) = p.on_a4();
    assert_eq!((w, h), (A4_WIDTH_PT, A4_HEIGHT_PT));
    // Square: full width, centred vertically.
    assert!((m[0] - A4_WIDTH_PT).abs() < 0.01 && (m[3] - A4_WIDTH_PT).abs() < 0.01);
    assert!((m[5] - (A4_HEIGHT_PT - A4_WIDTH_PT) / 2.0).abs() < 0.01);
}

#[test]
fn exif_orientation_turns_a_sideways_photo_upright() {
    // Stored landscape, shown portrait (the phone was held upright).
    let sideways = jpeg_headers(4000, 3000, Some(6));
    let info = read_jpeg(&sideways).unwrap();
    assert_eq!((info.width, info.height, info.orientation), (4000, 3000, 6));
    let combined =
        combine_scan(&[part("IMG_0001.JPG", &sideways)], &ScanLimits::default()).unwrap();
    let boxes = media_boxes(&combined.pdf);
    assert!((boxes[0].0 - A4_WIDTH_PT).abs() < 1.0, "{boxes:?}");
    assert!((boxes[0].1 - A4_HEIGHT_PT).abs() < 1.0, "{boxes:?}");
    let ((_, _), m) = info.placement().on_a4();
    // A quarter turn: no scale on the diagonal.
    assert!(m[0].abs() < 0.01 && m[3].abs() < 0.01, "{m:?}");
    assert_eq!(
        read_jpeg(&jpeg_headers(10, 20, Some(3)))
            .unwrap()
            .orientation,
        3
    );
}

#[test]
fn a_file_that_is_not_a_scan_is_refused_by_name() {
    let photo = jpeg_headers(100, 100, None);
    let err = combine_scan(
        &[
            part("page1.jpg", &photo),
            part("notes.docx", b"PK\x03\x04 word"),
        ],
        &ScanLimits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code, "mail.scan_file_invalid");
    assert!(err.message.contains("'notes.docx'"), "{}", err.message);

    let broken_png = b"\x89PNG\r\n\x1a\nnot really".to_vec();
    let err = combine_scan(&[part("scan.png", &broken_png)], &ScanLimits::default()).unwrap_err();
    assert_eq!(err.code, "mail.scan_file_invalid");
    assert!(err.message.contains("'scan.png'"), "{}", err.message);

    let cut = &photo[..6];
    let err = combine_scan(&[part("cut.jpg", cut)], &ScanLimits::default()).unwrap_err();
    assert_eq!(err.code, "mail.scan_file_invalid");

    let fake_pdf = b"%PDF-1.7 garbage".to_vec();
    let err = combine_scan(&[part("bad.pdf", &fake_pdf)], &ScanLimits::default()).unwrap_err();
    assert_eq!(err.code, "mail.scan_file_invalid");
    assert!(err.message.contains("'bad.pdf'"));
}

#[test]
fn sizes_are_limited_per_file_and_in_total() {
    let photo = jpeg_headers(100, 100, None);
    let limits = ScanLimits {
        max_file_bytes: 100,
        max_total_bytes: 40,
        ..ScanLimits::default()
    };
    let big = vec![0xFFu8; 101];
    let err = combine_scan(&[part("big.jpg", &big)], &limits).unwrap_err();
    assert_eq!(err.code, "mail.scan_too_large");
    assert!(err.message.contains("'big.jpg'"));
    let err = combine_scan(&[part("a.jpg", &photo), part("b.jpg", &photo)], &limits).unwrap_err();
    assert_eq!(err.code, "mail.scan_too_large");
    assert!(err.message.contains("add up"));
    assert_eq!(
        combine_scan(&[], &limits).unwrap_err().code,
        "mail.scan_invalid"
    );
}
