//! Reading a numeric matrix from a CSV or `.npy` file.
//!
//! * CSV: comma-separated numbers, one row per line. Blank lines are skipped. The first row is
//!   a header when any of its cells is not a number. Cells may be wrapped in double quotes.
//! * `.npy` (NumPy format versions 1–3): a 2-D array of little-endian `f4` or `f8` in C order.
//!   The format is recognised by its magic bytes, whatever the file's extension.
//!
//! Every value must be finite. Errors name the file, the line (CSV, 1-based as in an editor) or
//! the row (`.npy`, 0-based as in NumPy), the column, and the offending text.

use std::path::Path;

use thiserror::Error;

/// A dense row-major matrix read from a file, with its column names when the file had them.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// The values, row-major, `n_rows * n_cols` of them.
    pub values: Vec<f64>,
    /// Rows (samples).
    pub n_rows: usize,
    /// Columns (features).
    pub n_cols: usize,
    /// Column names from a CSV header, if there was one.
    pub header: Option<Vec<String>>,
}

/// Why a data file could not be read. Each message is one line that names the problem.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The file holds no data rows.
    #[error("{source_name} holds no data rows; a numeric matrix with at least one row and one column is needed")]
    Empty {
        /// The file.
        source_name: String,
    },
    /// A CSV cell is not a number.
    #[error("{source_name}, line {line}, column {column}: cell {text:?} is not a number")]
    NotANumber {
        /// The file.
        source_name: String,
        /// 1-based line in the file.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The cell's text.
        text: String,
    },
    /// A value is NaN or infinite.
    #[error("{source_name}, {location}: value {text} is not finite; remove or impute it first")]
    NonFinite {
        /// The file.
        source_name: String,
        /// Where: `line L, column C` for CSV, `row R, column C` for `.npy`.
        location: String,
        /// The value's text.
        text: String,
    },
    /// A CSV row has a different number of cells than the first data row.
    #[error("{source_name}, line {line}: {found} {}, but line {first_line} has {expected}; every row needs the same number of columns", if *found == 1 { "field" } else { "fields" })]
    Ragged {
        /// The file.
        source_name: String,
        /// 1-based line of the short or long row.
        line: usize,
        /// Cells found on it.
        found: usize,
        /// Line of the first data row.
        first_line: usize,
        /// Cells on the first data row.
        expected: usize,
    },
    /// The file is not valid UTF-8 text (and not `.npy`).
    #[error("{source_name} is neither UTF-8 CSV text nor a .npy file")]
    NotText {
        /// The file.
        source_name: String,
    },
    /// A malformed or unsupported `.npy` file.
    #[error("{source_name}: {reason}")]
    Npy {
        /// The file.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The magic bytes that open every `.npy` file.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a matrix from `path`: `.npy` when the file starts with NumPy's magic bytes, else CSV.
pub fn read_matrix(path: &Path) -> Result<Matrix, DataError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| DataError::Io {
        path: name.clone(),
        reason: io_reason(&e),
    })?;
    parse_bytes(&bytes, &name)
}

/// Parses file contents (CSV text or `.npy` bytes); `source_name` is used in error messages.
pub fn parse_bytes(bytes: &[u8], source_name: &str) -> Result<Matrix, DataError> {
    if bytes.starts_with(NPY_MAGIC) {
        return parse_npy(bytes, source_name);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DataError::NotText {
        source_name: source_name.to_string(),
    })?;
    parse_csv(text, source_name)
}

/// The operating system's reason, without Rust's " (os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// One CSV line split into trimmed cells, with surrounding double quotes removed.
fn split_cells(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|c| {
            let c = c.trim();
            c.strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
                .map(str::trim)
                .unwrap_or(c)
        })
        .collect()
}

/// Parses a cell as a number; `None` when it is not one. Rust's float syntax is accepted
/// (`1`, `-2.5`, `1e-3`, `inf`, `NaN`); non-finite values are rejected later, with their place.
fn parse_number(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        return None;
    }
    cell.parse::<f64>().ok()
}

/// Parses CSV text. The first non-blank row is a header when any of its cells is not a number.
pub fn parse_csv(text: &str, source_name: &str) -> Result<Matrix, DataError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.trim().is_empty());

    let Some((first_line, first)) = lines.next() else {
        return Err(DataError::Empty {
            source_name: source_name.to_string(),
        });
    };
    let first_cells = split_cells(first);
    let is_header = first_cells.iter().any(|c| parse_number(c).is_none());

    let mut values = Vec::new();
    let mut n_rows = 0;
    // (line, width) of the first data row: every other row must match it.
    let mut shape_line: Option<(usize, usize)> = None;
    let mut push_row = |line: usize, cells: &[&str]| -> Result<(), DataError> {
        match shape_line {
            None => shape_line = Some((line, cells.len())),
            Some((first_line, expected)) if expected != cells.len() => {
                return Err(DataError::Ragged {
                    source_name: source_name.to_string(),
                    line,
                    found: cells.len(),
                    first_line,
                    expected,
                });
            }
            Some(_) => {}
        }
        for (j, cell) in cells.iter().enumerate() {
            let Some(v) = parse_number(cell) else {
                return Err(DataError::NotANumber {
                    source_name: source_name.to_string(),
                    line,
                    column: j + 1,
                    text: cell.to_string(),
                });
            };
            if !v.is_finite() {
                return Err(DataError::NonFinite {
                    source_name: source_name.to_string(),
                    location: format!("line {line}, column {}", j + 1),
                    text: cell.to_string(),
                });
            }
            values.push(v);
        }
        n_rows += 1;
        Ok(())
    };

    let header = if is_header {
        Some(
            first_cells
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
        )
    } else {
        push_row(first_line, &first_cells)?;
        None
    };
    for (line, text) in lines {
        push_row(line, &split_cells(text))?;
    }
    let n_cols = shape_line.map_or(0, |(_, w)| w);
    if n_rows == 0 || n_cols == 0 {
        return Err(DataError::Empty {
            source_name: source_name.to_string(),
        });
    }
    if let Some(h) = &header {
        if h.len() != n_cols {
            return Err(DataError::Ragged {
                source_name: source_name.to_string(),
                line: shape_line.map_or(0, |(l, _)| l),
                found: n_cols,
                first_line,
                expected: h.len(),
            });
        }
    }
    Ok(Matrix {
        values,
        n_rows,
        n_cols,
        header,
    })
}

/// Element types a `.npy` file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NpyFloat {
    F32,
    F64,
}

/// Parses a `.npy` file: a 2-D little-endian `f4`/`f8` array in C order.
pub fn parse_npy(bytes: &[u8], source_name: &str) -> Result<Matrix, DataError> {
    let err = |reason: String| DataError::Npy {
        source_name: source_name.to_string(),
        reason,
    };
    if !bytes.starts_with(NPY_MAGIC) || bytes.len() < 10 {
        return Err(err(
            "not a .npy file (bad magic bytes or truncated header)".into()
        ));
    }
    let major = bytes[6];
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(err("truncated .npy header".into()));
            }
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (len as usize, 12)
        }
        v => return Err(err(format!("unsupported .npy format version {v}"))),
    };
    let data_start = header_start + header_len;
    if bytes.len() < data_start {
        return Err(err("truncated .npy header".into()));
    }
    let header = std::str::from_utf8(&bytes[header_start..data_start])
        .map_err(|_| err("the .npy header is not text".into()))?;

    let descr =
        dict_value(header, "descr").ok_or_else(|| err("the .npy header has no 'descr'".into()))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let float = match descr {
        "<f4" => NpyFloat::F32,
        "<f8" => NpyFloat::F64,
        ">f4" | ">f8" => {
            return Err(err(format!(
                "big-endian data ({descr}) is not supported; save it little-endian, e.g. x.astype('<f8')"
            )))
        }
        other => {
            return Err(err(format!(
                "element type {other} is not supported; use float32 or float64, e.g. np.save(path, x.astype(np.float64))"
            )))
        }
    };
    let fortran = dict_value(header, "fortran_order")
        .ok_or_else(|| err("the .npy header has no 'fortran_order'".into()))?;
    if fortran != "False" {
        return Err(err(
            "Fortran-order arrays are not supported; save a C-order array, e.g. np.save(path, np.ascontiguousarray(x))".into(),
        ));
    }
    let shape_text =
        dict_value(header, "shape").ok_or_else(|| err("the .npy header has no 'shape'".into()))?;
    let shape: Vec<usize> = shape_text
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| err(format!("cannot read the .npy shape {shape_text}")))?;
    let [n_rows, n_cols] = shape[..] else {
        return Err(err(format!(
            "expected a 2-D array (samples × features), got shape {shape_text}; reshape it, e.g. x.reshape(-1, 1)"
        )));
    };
    if n_rows == 0 || n_cols == 0 {
        return Err(DataError::Empty {
            source_name: source_name.to_string(),
        });
    }
    let width = match float {
        NpyFloat::F32 => 4,
        NpyFloat::F64 => 8,
    };
    let expected = n_rows
        .checked_mul(n_cols)
        .and_then(|n| n.checked_mul(width))
        .ok_or_else(|| err(format!("shape {shape_text} is too large")))?;
    let data = &bytes[data_start..];
    if data.len() != expected {
        return Err(err(format!(
            "shape {shape_text} needs {expected} bytes of data, the file holds {}",
            data.len()
        )));
    }
    let values: Vec<f64> = match float {
        NpyFloat::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            .collect(),
        NpyFloat::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("chunk of 8")))
            .collect(),
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(DataError::NonFinite {
            source_name: source_name.to_string(),
            location: format!("row {}, column {} (0-based)", i / n_cols, i % n_cols),
            text: format!("{}", values[i]),
        });
    }
    Ok(Matrix {
        values,
        n_rows,
        n_cols,
        header: None,
    })
}

/// The raw text of `key`'s value in a `.npy` header, a Python dict literal such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let quoted = [format!("'{key}'"), format!("\"{key}\"")];
    let start = quoted
        .iter()
        .find_map(|q| header.find(q.as_str()).map(|i| i + q.len()))?;
    let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Writes `values` (`[n_rows, n_cols]`, row-major) as a version-1 `.npy` file in memory.
/// Used by the tests and handy for producing fixtures.
#[cfg(test)]
pub fn write_npy(values: &[f64], n_rows: usize, n_cols: usize, f32_data: bool) -> Vec<u8> {
    let descr = if f32_data { "<f4" } else { "<f8" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n_rows}, {n_cols}), }}");
    // Pad so that magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::new();
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &v in values {
        if f32_data {
            out.extend_from_slice(&(v as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_without_header() {
        let m = parse_csv("1,2\n3,4.5\n\n-1e-3, 7\n", "t.csv").unwrap();
        assert_eq!((m.n_rows, m.n_cols), (3, 2));
        assert_eq!(m.values, vec![1.0, 2.0, 3.0, 4.5, -1e-3, 7.0]);
        assert_eq!(m.header, None);
    }

    #[test]
    fn csv_header_is_detected_by_any_non_numeric_cell() {
        let m = parse_csv("a,b\n1,2\n", "t.csv").unwrap();
        assert_eq!(m.header, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(m.values, vec![1.0, 2.0]);
        // One numeric and one text cell: still a header.
        let m = parse_csv("\"x\",2\r\n1,2\r\n3,4\r\n", "t.csv").unwrap();
        assert_eq!(m.header, Some(vec!["x".to_string(), "2".to_string()]));
        assert_eq!(m.n_rows, 2);
        // Quoted numbers are numbers.
        let m = parse_csv("\"1\",\"2\"\n", "t.csv").unwrap();
        assert_eq!((m.header, m.values), (None, vec![1.0, 2.0]));
    }

    #[test]
    fn csv_ragged_rows_name_the_line() {
        let e = parse_csv("a,b\n1,2\n3\n", "t.csv").unwrap_err();
        assert_eq!(
            e,
            DataError::Ragged {
                source_name: "t.csv".into(),
                line: 3,
                found: 1,
                first_line: 2,
                expected: 2
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("line 3") && !msg.contains('\n'), "{msg}");
        // Header wider than the data.
        assert!(matches!(
            parse_csv("a,b,c\n1,2\n", "t.csv"),
            Err(DataError::Ragged { .. })
        ));
    }

    #[test]
    fn csv_non_numeric_cell_names_line_column_and_text() {
        let e = parse_csv("a,b\n1,2\n3,oops\n", "t.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 3, column 2: cell \"oops\" is not a number"
        );
        // An empty cell is not a number either.
        let e = parse_csv("1,2\n3,\n", "t.csv").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::NotANumber {
                    line: 2,
                    column: 2,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn csv_nan_and_inf_are_rejected_with_their_place() {
        let e = parse_csv("1,2\nNaN,4\n", "t.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 2, column 1: value NaN is not finite; remove or impute it first"
        );
        let e = parse_csv("1,2\n3,-inf\n", "t.csv").unwrap_err();
        assert!(matches!(e, DataError::NonFinite { .. }), "{e:?}");
    }

    #[test]
    fn csv_empty_inputs() {
        for text in ["", "\n\n", "a,b\n", "a,b\n\n"] {
            assert!(
                matches!(parse_csv(text, "t.csv"), Err(DataError::Empty { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn npy_round_trip_f4_and_f8() {
        let values: Vec<f64> = (0..12).map(|i| i as f64 * 0.25 - 1.0).collect();
        for f32_data in [true, false] {
            let bytes = write_npy(&values, 4, 3, f32_data);
            assert_eq!(bytes.len() % 16, 0);
            let m = parse_bytes(&bytes, "t.npy").unwrap();
            assert_eq!((m.n_rows, m.n_cols), (4, 3));
            // Quarter steps are exact in f32, so the round trip is exact in both widths.
            assert_eq!(m.values, values);
        }
    }

    #[test]
    fn npy_version_2_header_and_no_trailing_comma() {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}\n";
        let mut bytes = NPY_MAGIC.to_vec();
        bytes.extend_from_slice(&[2, 0]);
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&1.5f64.to_le_bytes());
        bytes.extend_from_slice(&(-2.0f64).to_le_bytes());
        let m = parse_npy(&bytes, "t.npy").unwrap();
        assert_eq!(m.values, vec![1.5, -2.0]);
    }

    #[test]
    fn npy_rejects_unsupported_layouts() {
        let data: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let with_header = |dict: &str| {
            let mut b = NPY_MAGIC.to_vec();
            b.extend_from_slice(&[1, 0]);
            b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
            b.extend_from_slice(dict.as_bytes());
            b.extend_from_slice(&data);
            b
        };
        let good = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
        assert!(parse_npy(&with_header(good), "t.npy").is_ok());
        let swap = |from: &str, to: &str| with_header(&good.replace(from, to));
        let fortran = swap("'fortran_order': False", "'fortran_order': True ");
        let e = parse_npy(&fortran, "t.npy").unwrap_err().to_string();
        assert!(e.contains("Fortran-order"), "{e}");
        let int = swap("'<f8'", "'<i8'");
        let e = parse_npy(&int, "t.npy").unwrap_err().to_string();
        assert!(e.contains("<i8") && e.contains("float64"), "{e}");
        let big = swap("'<f8'", "'>f8'");
        assert!(parse_npy(&big, "t.npy")
            .unwrap_err()
            .to_string()
            .contains("big-endian"));
        let one_d = swap("(1, 2)", "(2,)  ");
        let e = parse_npy(&one_d, "t.npy").unwrap_err().to_string();
        assert!(e.contains("2-D"), "{e}");
        let full = with_header(good);
        let e = parse_npy(&full[..full.len() - 3], "t.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bytes of data"), "{e}");
    }

    #[test]
    fn npy_nan_is_rejected_with_its_row_and_column() {
        let bytes = write_npy(&[1.0, 2.0, 3.0, f64::INFINITY], 2, 2, true);
        let e = parse_bytes(&bytes, "t.npy").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.npy, row 1, column 1 (0-based): value inf is not finite; remove or impute it first"
        );
    }

    #[test]
    fn missing_file_is_one_line() {
        let e = read_matrix(Path::new("/definitely/not/here.csv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read /definitely/not/here.csv: no such file"
        );
    }
}
