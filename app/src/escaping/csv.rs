//! One CSV cell, quoted and safe to open in a spreadsheet.

/// What a spreadsheet reads as the start of a formula (`=`, `+`, `-`, `@`, in their ASCII,
/// full-width and small forms).
const FORMULA_STARTS: [char; 12] = ['=', '+', '-', '@', '＝', '＋', '－', '＠', '﹦', '﹢', '﹣', '﹫'];
/// What ends a cell for some reader of the file: the separators of the locales that open a
/// `.csv` with `;` or tab (Excel honours quotes only at a cell's start there), and line breaks.
const CELL_BREAKS: [char; 5] = [',', ';', '\t', '\r', '\n'];
/// What a reader may strip before a cell's first character: quotes and blanks.
const CELL_LEADERS: [char; 5] = ['"', ' ', '\u{a0}', '\u{200b}', '\u{feff}'];

/// `text` as an RFC 4180 quoted cell that opens as text in a spreadsheet (OWASP's CSV
/// injection advice): a `'` goes before a formula start at the beginning, and after any
/// separator or line break inside, so a reader that splits the cell there (a `;` locale, a
/// naive line splitter) still finds no formula. A tab, CR or LF at the very start (which
/// some spreadsheets strip before reading a formula) gets one too.
pub(crate) fn csv_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    out.push('"');
    let mut at_cell_start = true;
    for c in text.chars() {
        if at_cell_start && (FORMULA_STARTS.contains(&c) || (out.len() == 1 && CELL_BREAKS[2..].contains(&c))) {
            out.push('\'');
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        // A quote or blank before the formula (`;"=1`, `; =1`) is dropped by some readers:
        // the cell has not started yet.
        at_cell_start = CELL_BREAKS.contains(&c) || (at_cell_start && CELL_LEADERS.contains(&c));
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn each_formula_start_is_neutralised() {
        for start in ['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠', '﹦', '﹢', '﹣', '﹫'] {
            let cell = format!("{start}HYPERLINK(\"https://evil.example\")");
            assert!(csv_cell(&cell).starts_with("\"'"), "{start:?}: {}", csv_cell(&cell));
        }
    }

    #[test]
    fn a_formula_after_a_separator_or_line_break_is_neutralised_too() {
        assert_eq!(csv_cell("Welcome;=1+1;x"), "\"Welcome;'=1+1;x\"");
        assert_eq!(csv_cell("Work\n=2+3"), "\"Work\n'=2+3\"");
        assert_eq!(csv_cell("a,@SUM(1+9)"), "\"a,'@SUM(1+9)\"");
        assert_eq!(csv_cell("a\t-1"), "\"a\t'-1\"");
        // Read back with ';' or ',' as the separator, or line by line, no piece is a formula.
        let cell = csv_cell("First name;@SUM(1+9);x,=1\r\n+2\t-3;＝4;\"=cmd|' /C calc'!A0; =5;\u{a0}\"+6");
        for piece in cell.trim_matches('"').split([';', ',', '\t', '\r', '\n']) {
            let piece = piece.trim_start_matches(['"', ' ', '\u{a0}']);
            assert!(!piece.starts_with(['=', '+', '-', '@', '＝']), "{piece:?} in {cell}");
        }
        assert_eq!(csv_cell("x;\"=1"), "\"x;\"\"'=1\"");
        assert_eq!(csv_cell(" =1"), "\" '=1\"");
    }

    #[test]
    fn other_cells_are_only_quoted() {
        assert_eq!(csv_cell("Welcome, \"friend\""), "\"Welcome, \"\"friend\"\"\"");
        assert_eq!(csv_cell("a=b"), "\"a=b\"");
        assert_eq!(csv_cell("x-ray; 2 + 2"), "\"x-ray; 2 + 2\"");
        assert_eq!(csv_cell(""), "\"\"");
    }
}
