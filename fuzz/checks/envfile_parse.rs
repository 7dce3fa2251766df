//! The `.env` reader (`EnvFile::parse`) on arbitrary bytes.
//!
//! Properties: no input panics; a parse error names a line that exists; a file that parses
//! renders back byte-for-byte, numbers its entries in file
//! order, and `get` returns the last occurrence of a key (python-dotenv's rule).

use lakekeeper_setup::envfile::EnvFile;

/// One input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.matches('\n').count() + 1;
    let file = match EnvFile::parse(text) {
        Ok(file) => file,
        Err(e) => {
            assert!(
                (1..=lines).contains(&e.line),
                "error on line {} of {lines}",
                e.line
            );
            return;
        }
    };
    assert_eq!(file.render(), text, "render is not lossless");
    let mut previous = 0;
    for entry in file.entries() {
        assert!(
            entry.line > previous && entry.line <= lines,
            "line {}",
            entry.line
        );
        previous = entry.line;
        let last = file.entries().filter(|e| e.key == entry.key).last();
        assert_eq!(file.get(&entry.key), last.map(|e| e.value.as_str()));
    }
}
