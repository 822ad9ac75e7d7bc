//! Rows out of warroom, for people and for spreadsheets: one CSV writer and one text-table
//! writer for `warroom query`, `warroom detect` and the postmortem.

/// A cell a spreadsheet would read as a formula (`=HYPERLINK(…)`, `+1`, `-2`, `@SUM`, or a
/// leading tab or CR) starts with `'` instead: CloudTrail fields are written by whoever
/// calls AWS, the attacker included, and opening an export must never run their text.
pub fn formula_safe(field: &str) -> std::borrow::Cow<'_, str> {
    match field.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{field}").into(),
        _ => field.into(),
    }
}

/// RFC 4180 CSV (CRLF line ends, fields quoted when they need it), every field
/// formula-safe, written as it goes (a query's million rows never sit in memory).
pub struct CsvOut<W: std::io::Write>(csv::Writer<W>);

fn io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

impl<W: std::io::Write> CsvOut<W> {
    pub fn new(out: W, header: &[&str]) -> std::io::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        w.write_record(header).map_err(io)?;
        Ok(CsvOut(w))
    }

    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) -> std::io::Result<()> {
        self.0
            .write_record(fields.iter().map(|f| formula_safe(f.as_ref()).into_owned()))
            .map_err(io)
    }

    /// Writes what is buffered through to the output (a reader waiting on a pipe sees it).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush()
    }
}

/// A whole CSV document in memory.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut buf = Vec::new();
    {
        // Writing into memory cannot fail.
        let mut w = CsvOut::new(&mut buf, header).expect("write to memory");
        for r in rows {
            w.row(r).expect("write to memory");
        }
        w.finish().expect("write to memory");
    }
    String::from_utf8(buf).expect("CSV of UTF-8 is UTF-8")
}

/// Columns padded to their widest cell, two spaces apart; the last column is not padded, so
/// no line ends in spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let text: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(text.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let rows = [
            ["x,y", "say \"hi\""],
            ["=HYPERLINK(\"http://evil\")", "plain"],
            ["-2+3", "line\nbreak"],
        ];
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect();
        let out = csv(&["a", "b"], &rows);
        assert_eq!(
            out,
            "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",plain\r\n'-2+3,\"line\nbreak\"\r\n"
        );
    }

    #[test]
    fn tables_align_and_end_lines_without_spaces() {
        let out = table(
            &["RULE", "COUNT"],
            &[
                vec!["persistence".into(), "3".into()],
                vec!["x".into(), "".into()],
            ],
        );
        assert_eq!(out, "RULE         COUNT\npersistence  3\nx\n");
    }
}
