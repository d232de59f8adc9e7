//! One CSV cell, quoted and safe to open in a spreadsheet.

/// `text` as an RFC 4180 quoted cell. A cell that starts with what a spreadsheet reads as the
/// start of a formula (`=`, `+`, `-`, `@`, and the tab, CR and LF that some strip first, in
/// their ASCII and full-width forms) gets a leading `'`, so it opens as text and never runs
/// (OWASP's CSV injection advice).
pub fn csv_cell(text: &str) -> String {
    const FORMULA_STARTS: [char; 11] = ['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠'];
    let neutral = if text.starts_with(FORMULA_STARTS) { format!("'{text}") } else { text.to_string() };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn each_formula_start_is_neutralised() {
        for start in ['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠'] {
            let cell = format!("{start}HYPERLINK(\"https://evil.example\")");
            assert_eq!(csv_cell(&cell), format!("\"'{}\"", cell.replace('"', "\"\"")), "{start:?}");
        }
    }

    #[test]
    fn other_cells_are_only_quoted() {
        assert_eq!(csv_cell("Welcome, \"friend\""), "\"Welcome, \"\"friend\"\"\"");
        assert_eq!(csv_cell("a=b"), "\"a=b\"");
        assert_eq!(csv_cell(""), "\"\"");
        assert_eq!(csv_cell(" =1+1"), "\" =1+1\"");
    }
}
