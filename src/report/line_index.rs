//! Byte offsets to 1-based line and column.
//!
//! Lines end at `\n` (so CRLF files count right); columns count characters, not bytes, and a
//! leading byte-order mark is not a column.

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

pub struct LineIndex {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// Lines with a character of more than one byte, where a column is counted, not computed.
    multibyte: Vec<bool>,
    /// The last position counted on a multibyte line (line, offset, column): positions come
    /// nearly in order, so the next one on that line counts on (or back) from it, and a line
    /// with thousands of findings is counted about once, not once per finding.
    counted: std::cell::Cell<(usize, usize, usize)>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut starts = vec![bom];
        let mut multibyte = vec![false];
        for (i, byte) in text.bytes().enumerate().skip(bom) {
            if byte == b'\n' {
                starts.push(i + 1);
                multibyte.push(false);
            } else if !byte.is_ascii() {
                *multibyte.last_mut().expect("one per line") = true;
            }
        }
        LineIndex {
            starts,
            multibyte,
            counted: std::cell::Cell::new((0, 0, 0)),
        }
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts[line - 1].min(offset);
        if !self.multibyte[line - 1] {
            return Position {
                line,
                column: offset - start + 1,
            };
        }
        let (counted_line, counted_offset, counted_column) = self.counted.get();
        let column = if counted_line != line {
            1 + text[start..offset].chars().count()
        } else if counted_offset <= offset {
            counted_column + text[counted_offset..offset].chars().count()
        } else {
            counted_column - text[offset..counted_offset].chars().count()
        };
        self.counted.set((line, offset, column));
        Position { line, column }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, offset: usize) -> (usize, usize) {
        let p = LineIndex::new(text).position(text, offset);
        (p.line, p.column)
    }

    #[test]
    fn counts_characters_across_crlf_bom_tabs_and_multibyte() {
        let text = "\u{feff}SELECT 1;\r\n\tSELECT 'é', x;\n";
        assert_eq!(at(text, 3), (1, 1));
        let x = text.find("x;").unwrap();
        assert_eq!(at(text, x), (2, 14));
        assert_eq!(at(text, text.len()), (3, 1));
    }

    #[test]
    fn positions_asked_in_any_order_count_the_same() {
        let text = "SELECT 'é', 'ü', x, 'ß';\nSELECT 'ö', y;\n";
        let index = LineIndex::new(text);
        let naive = |offset: usize| {
            let start = text[..offset].rfind('\n').map_or(0, |nl| nl + 1);
            text[start..offset].chars().count() + 1
        };
        let offsets: Vec<usize> = (0..=text.len())
            .filter(|&o| text.is_char_boundary(o))
            .collect();
        for &offset in offsets.iter().chain(offsets.iter().rev()).step_by(3) {
            assert_eq!(
                index.position(text, offset).column,
                naive(offset),
                "{offset}"
            );
        }
    }
}
