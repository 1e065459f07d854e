//! Reading Tesseract's hOCR output: the words of each page with their
//! confidence, in paragraphs and lines. Tesseract writes one element per line
//! (page, area, paragraph, line, word), with single-quoted class names and
//! the word text escaped, which is what this reader relies on. It is not a
//! general HTML parser.

use super::text::normalize_text;

/// One page read from hOCR.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct HocrPage {
    /// Paragraphs, each a list of lines, each a list of words.
    paragraphs: Vec<Vec<Vec<String>>>,
    /// `x_wconf` of every word that had one, 0–100.
    confidences: Vec<f32>,
}

impl HocrPage {
    /// The page's text in Tesseract's plain layout (lines with `\n`,
    /// paragraphs with a blank line), before normalisation.
    pub(crate) fn raw_text(&self) -> String {
        self.paragraphs
            .iter()
            .map(|lines| {
                lines
                    .iter()
                    .filter(|words| !words.is_empty())
                    .map(|words| words.join(" "))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// The normalised text (see [`normalize_text`]).
    pub(crate) fn text(&self) -> String {
        normalize_text(&self.raw_text())
    }

    /// Mean word confidence, 0–100; `None` for a page without words.
    pub(crate) fn mean_confidence(&self) -> Option<f32> {
        if self.confidences.is_empty() {
            return None;
        }
        let sum: f32 = self.confidences.iter().sum();
        // At most a few thousand words per page: exact in f32.
        Some(sum / self.confidences.len() as f32)
    }

    fn new_paragraph(&mut self) {
        if self.paragraphs.last().is_none_or(|p| !p.is_empty()) {
            self.paragraphs.push(Vec::new());
        }
    }

    fn new_line(&mut self) {
        if self.paragraphs.is_empty() {
            self.paragraphs.push(Vec::new());
        }
        if let Some(paragraph) = self.paragraphs.last_mut()
            && paragraph.last().is_none_or(|l| !l.is_empty())
        {
            paragraph.push(Vec::new());
        }
    }

    fn push_word(&mut self, word: String, confidence: Option<f32>) {
        if self.paragraphs.last().is_none_or(|p| p.is_empty()) {
            self.new_line();
        }
        if let Some(line) = self.paragraphs.last_mut().and_then(|p| p.last_mut()) {
            line.push(word);
        }
        if let Some(c) = confidence {
            self.confidences.push(c);
        }
    }
}

/// Line classes Tesseract uses in hOCR.
const LINE_CLASSES: [&str; 4] = [
    "'ocr_line'",
    "'ocr_header'",
    "'ocr_caption'",
    "'ocr_textfloat'",
];

/// Every page in `hocr`, in order (one per `ocr_page` element).
pub(crate) fn parse_pages(hocr: &str) -> Vec<HocrPage> {
    let mut pages: Vec<HocrPage> = Vec::new();
    for line in hocr.lines() {
        if line.contains("'ocr_page'") {
            pages.push(HocrPage::default());
            continue;
        }
        let Some(page) = pages.last_mut() else {
            continue;
        };
        if line.contains("'ocr_carea'") || line.contains("'ocr_par'") {
            page.new_paragraph();
        } else if LINE_CLASSES.iter().any(|class| line.contains(class)) {
            page.new_line();
        } else if line.contains("'ocrx_word'")
            && let Some((word, confidence)) = parse_word(line)
        {
            page.push_word(word, confidence);
        }
    }
    pages
}

/// `<span class='ocrx_word' id='word_1_3' title='bbox 263 257 342 291; x_wconf 96'>Rue</span>`
/// → ("Rue", Some(96.0)). Tags inside the word (`<strong>`, `<em>`) are dropped.
fn parse_word(line: &str) -> Option<(String, Option<f32>)> {
    let start = line.find("'ocrx_word'")?;
    let rest = line.get(start..)?;
    let open_end = rest.find('>')?;
    let tag = rest.get(..open_end)?;
    let inner = rest.get(open_end + 1..)?;
    let inner = inner.rfind("</span>").and_then(|i| inner.get(..i))?;
    let word = unescape(&strip_tags(inner));
    let word = word.trim();
    if word.is_empty() {
        return None;
    }
    Some((word.to_string(), confidence(tag)))
}

/// `x_wconf 96` from a title attribute.
fn confidence(tag: &str) -> Option<f32> {
    let at = tag.find("x_wconf ")?;
    let digits: String = tag
        .get(at + "x_wconf ".len()..)?
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse::<f32>().ok().map(|c| c.clamp(0.0, 100.0))
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The entities Tesseract's hOCR writer escapes, plus numeric references.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp..).unwrap_or_default();
        let decoded = after.find(';').and_then(|semi| {
            let entity = after.get(1..semi)?;
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        entity.strip_prefix('#')?.parse::<u32>().ok()?
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = after.get(len..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
 <body>
  <div class='ocr_page' id='page_1' title='image "/tmp/x/page-1.tif"; bbox 0 0 2481 3508; ppageno 0; scan_res 300 300'>
   <div class='ocr_carea' id='block_1_1' title="bbox 261 202 608 345">
    <p class='ocr_par' id='par_1_1' lang='fra' title="bbox 261 202 608 345">
     <span class='ocr_line' id='line_1_1' title="bbox 261 202 498 237; baseline -0.004 0; x_size 40">
      <span class='ocrx_word' id='word_1_1' title='bbox 261 202 425 237; x_wconf 94'>Courrier</span>
      <span class='ocrx_word' id='word_1_2' title='bbox 440 202 498 237; x_wconf 90'>S&amp;A</span>
     </span>
     <span class='ocr_line' id='line_1_2' title="bbox 263 256 608 291">
      <span class='ocrx_word' id='word_1_3' title='bbox 263 257 342 291; x_wconf 80'>Rech-</span>
     </span>
     <span class='ocr_line' id='line_1_3' title="bbox 263 256 608 291">
      <span class='ocrx_word' id='word_1_4' title='bbox 263 257 342 291; x_wconf 96'><strong>nung</strong></span>
      <span class='ocrx_word' id='word_1_5' title='bbox 263 257 342 291; x_wconf 100'>&lt;&#39;&#x41;&bogus;&gt;</span>
     </span>
    </p>
   </div>
   <div class='ocr_carea' id='block_1_2' title="bbox 284 727 756 925">
    <p class='ocr_par' id='par_1_2' lang='fra' title="bbox 284 727 756 925">
     <span class='ocr_header' id='line_1_4' title="bbox 285 727 728 762">
      <span class='ocrx_word' id='word_1_6' title='bbox 285 727 434 762; x_wconf 60'>Lausanne</span>
     </span>
    </p>
   </div>
  </div>
  <div class='ocr_page' id='page_2' title='image "/tmp/x/page-2.tif"; bbox 0 0 300 300; ppageno 1'>
  </div>
 </body>
</html>
"#;

    #[test]
    fn pages_words_and_confidence() {
        let pages = parse_pages(PAGE);
        assert_eq!(pages.len(), 2);
        let first = &pages[0];
        assert_eq!(
            first.raw_text(),
            "Courrier S&A\nRech-\nnung <'A&bogus;>\n\nLausanne"
        );
        assert_eq!(
            first.text(),
            "Courrier S&A Rechnung <'A&bogus;>\n\nLausanne"
        );
        let mean = first.mean_confidence().unwrap();
        assert!((mean - (94.0 + 90.0 + 80.0 + 96.0 + 100.0 + 60.0) / 6.0).abs() < 0.01);
        assert_eq!(pages[1].text(), "");
        assert_eq!(pages[1].mean_confidence(), None);
    }

    #[test]
    fn odd_input_does_not_panic() {
        assert!(parse_pages("").is_empty());
        assert!(parse_pages("<span class='ocrx_word'>lost</span>").is_empty());
        let pages = parse_pages(
            "<div class='ocr_page'>\n<span class='ocrx_word' title='x_wconf 999'>a</span>\n\
             <span class='ocrx_word' title='x_wconf'>b</span>\n<span class='ocrx_word'>\n&amp",
        );
        assert_eq!(pages[0].raw_text(), "a b");
        assert_eq!(pages[0].mean_confidence(), Some(100.0));
        assert_eq!(
            unescape("a & b &amp c &#xZZ; &#1114112;"),
            "a & b &amp c &#xZZ; &#1114112;"
        );
    }
}
