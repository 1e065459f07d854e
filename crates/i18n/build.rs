//! Compiles the catalogues in: every folder of `locales/` is a language,
//! every `.ftl` file in it a part of that language's catalogue. Adding a
//! language is adding a folder (and its `Locale` value in the domain).

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).join("locales");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut langs: Vec<_> = std::fs::read_dir(&root)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    langs.sort();
    let mut out = String::from("pub(crate) static CATALOGUES: &[(&str, &[(&str, &str)])] = &[\n");
    for dir in langs {
        println!("cargo:rerun-if-changed={}", dir.display());
        let lang = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("locale folder name is not UTF-8")?;
        let mut files: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort();
        writeln!(out, "    ({lang:?}, &[")?;
        for f in files {
            println!("cargo:rerun-if-changed={}", f.display());
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or("file name is not UTF-8")?;
            let path = f.to_str().ok_or("path is not UTF-8")?;
            writeln!(out, "        ({name:?}, include_str!({path:?})),")?;
        }
        writeln!(out, "    ]),")?;
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR")?).join("catalogues.rs");
    std::fs::write(dest, out)?;
    Ok(())
}
