use super::*;

#[test]
fn methods_parse_and_check() {
    assert_eq!(
        SplitMethod::parse("pages:2").unwrap(),
        SplitMethod::Pages(2)
    );
    assert_eq!(SplitMethod::parse("address").unwrap(), SplitMethod::Address);
    assert_eq!(
        SplitMethod::parse("marker:^Invoice").unwrap(),
        SplitMethod::Marker("^Invoice".into())
    );
    assert_eq!(
        SplitMethod::parse("x").unwrap_err().code,
        "run.method_invalid"
    );
    assert_eq!(
        SplitMethod::parse("pages:x").unwrap_err().code,
        "run.pages_invalid"
    );
    assert_eq!(
        Splitter::new(&SplitMethod::Pages(0)).unwrap_err().code,
        "run.pages_invalid"
    );
    assert_eq!(
        Splitter::new(&SplitMethod::Marker("(unclosed".into()))
            .unwrap_err()
            .code,
        "run.marker_invalid"
    );
    assert_eq!(
        Splitter::new(&SplitMethod::Marker("a{1000}{1000}".into()))
            .unwrap_err()
            .code,
        "run.marker_invalid"
    );
    assert!(Splitter::new(&SplitMethod::Marker("Invoice \\d+".into())).is_ok());
}

#[test]
fn pieces_cover_every_page() {
    let start = |page| Start { page, text: None };
    let p = pieces(7, vec![start(2), start(3), start(5)]);
    let pages: Vec<(usize, usize)> = p.iter().map(Piece::pages).collect();
    assert_eq!(pages, [(0, 1), (2, 2), (3, 4), (5, 6)]);
    assert!(matches!(p[0], Piece::Orphan { .. }));
    assert_eq!(p[0].source(), "pages 1-2");
    assert_eq!(p[1].source(), "page 3");
    let none = pieces(3, Vec::new());
    assert_eq!(none.len(), 1);
    assert!(matches!(none[0], Piece::Orphan { first: 0, last: 2 }));
}
