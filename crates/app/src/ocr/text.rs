//! Normalising recognised text for storage and search: whitespace collapsed,
//! one blank line between paragraphs, and words split at a line end joined
//! again ("Rech-\nnung" → "Rechnung").

/// Characters that end a line in the middle of a hyphenated word: the
/// hyphen-minus, the soft hyphen and the Unicode hyphen.
const HYPHENS: [char; 3] = ['-', '\u{00AD}', '\u{2010}'];

/// Normalises OCR output. Lines are separated by `\n`, paragraphs by at least
/// one blank line (Tesseract's plain-text layout). Within a paragraph, runs of
/// whitespace (line breaks included) become one space, and a word hyphenated
/// at a line end is joined: without its hyphen when the next line starts with
/// a lower-case letter ("Rech-" + "nung" → "Rechnung"), with it before a
/// capital ("Jean-" + "Pierre" → "Jean-Pierre"). Paragraphs are
/// separated by one blank line (`\n\n`); leading and trailing whitespace is
/// removed, as are control characters such as form feeds.
pub fn normalize_text(raw: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in raw.lines() {
        let collapsed = collapse(line);
        if collapsed.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        join_line(&mut current, &collapsed);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs.join("\n\n")
}

/// One line with its whitespace and control characters collapsed to single
/// spaces, trimmed.
fn collapse(line: &str) -> String {
    line.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Appends `line` to the paragraph so far, undoing a line-end hyphenation.
fn join_line(paragraph: &mut String, line: &str) {
    if paragraph.is_empty() {
        paragraph.push_str(line);
        return;
    }
    let first = line.chars().next();
    if ends_in_split_word(paragraph) && first.is_some_and(char::is_lowercase) {
        paragraph.pop();
        paragraph.push_str(line);
    } else if ends_in_split_word(paragraph) && first.is_some_and(char::is_uppercase) {
        paragraph.push_str(line);
    } else {
        paragraph.push(' ');
        paragraph.push_str(line);
    }
}

/// Whether the text ends with a letter followed by a hyphen ("Rech-"), not a
/// lone dash ("Montant -") or a number range ("10-").
fn ends_in_split_word(text: &str) -> bool {
    let mut rev = text.chars().rev();
    matches!(
        (rev.next(), rev.next()),
        (Some(hyphen), Some(before)) if HYPHENS.contains(&hyphen) && before.is_alphabetic()
    )
}

#[cfg(test)]
mod tests {
    use super::normalize_text;

    #[test]
    fn whitespace_collapses_and_paragraphs_stay() {
        assert_eq!(
            normalize_text("  Courrier   SA \nRue du\tMarché 3\n\n\n1204  Genève  \n"),
            "Courrier SA Rue du Marché 3\n\n1204 Genève"
        );
        assert_eq!(normalize_text(""), "");
        assert_eq!(normalize_text(" \n\n \u{000C}\n"), "");
        assert_eq!(normalize_text("a\n \nb"), "a\n\nb");
        assert_eq!(
            normalize_text("page one\u{000C}page two"),
            "page one page two"
        );
    }

    #[test]
    fn hyphenation_at_line_ends_is_undone() {
        assert_eq!(
            normalize_text("Ihre Rech-\nnung vom Mai"),
            "Ihre Rechnung vom Mai"
        );
        assert_eq!(normalize_text("la fac-  \n  ture"), "la facture");
        assert_eq!(normalize_text("soft\u{00AD}\nhyphen"), "softhyphen");
        assert_eq!(normalize_text("uni\u{2010}\ncode"), "unicode");
        // A capital after the hyphen: a compound or a name, the hyphen stays.
        assert_eq!(normalize_text("Jean-\nPierre"), "Jean-Pierre");
        // Not a split word: a dash, a number, the end of a paragraph.
        assert_eq!(normalize_text("Montant -\nvoir"), "Montant - voir");
        assert_eq!(normalize_text("pages 10-\n12"), "pages 10- 12");
        assert_eq!(normalize_text("Rech-\n\nnung"), "Rech-\n\nnung");
        // Only at a line end.
        assert_eq!(normalize_text("e-mail address"), "e-mail address");
    }
}
