//! Reading a numeric matrix from a CSV or `.npy` file, with maintained parsers (the `csv` and
//! `npyz` crates).
//!
//! * CSV: numbers separated by `,`, `;` or tabs (detected from the first non-blank line: a tab
//!   if it has one, else `;` if it has one, else `,`; `--delimiter` fixes it), one row per
//!   line, RFC 4180 quoting, CRLF or LF line ends, a UTF-8 byte-order mark ignored. Blank lines
//!   are skipped. The first row is a header when any of its cells is not a number.
//! * `.npy` (NumPy format versions 1–3): a 2-D array in C or Fortran order, of float64,
//!   float32, float16, any integer or bool, either byte order. Values are converted to f64
//!   (exactly, except integers beyond 2⁵³); anything but float32/float64 in C order is noted
//!   in [`Matrix::note`], which the reports show. The format is recognised by its magic bytes,
//!   whatever the file's extension.
//!
//! Every value must be finite. Errors name the file, the line (CSV, 1-based as in an editor) or
//! the row (`.npy`, 0-based as in NumPy), the column, and the offending text.

use std::path::Path;

use thiserror::Error;

/// A matrix's values, row-major, held in the narrowest float type that holds them exactly:
/// f32 for a float32, float16, bool or 8- and 16-bit integer `.npy` array (half the memory
/// of f64, and no rounding: f32 holds every such value), f64 for everything else.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Values that f32 holds exactly.
    F32(Vec<f32>),
    /// Any other values.
    F64(Vec<f64>),
}

impl Values {
    /// The `i`-th value.
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Values::F32(v) => f64::from(v[i]),
            Values::F64(v) => v[i],
        }
    }

    /// Every value, as f64 (exact).
    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<f64> {
        match self {
            Values::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Values::F64(v) => v.clone(),
        }
    }

    /// Calls `f` on every row of `n_cols` values, as f64.
    pub fn for_each_row(&self, n_cols: usize, mut f: impl FnMut(&[f64])) {
        match self {
            Values::F64(v) => v.chunks(n_cols).for_each(f),
            Values::F32(v) => {
                let mut row = vec![0.0; n_cols];
                for chunk in v.chunks(n_cols) {
                    row.iter_mut()
                        .zip(chunk)
                        .for_each(|(r, &x)| *r = f64::from(x));
                    f(&row[..chunk.len()]);
                }
            }
        }
    }

    /// The position of the first value beyond f32's range, if any (never for f32 values).
    pub fn beyond_f32(&self) -> Option<usize> {
        match self {
            Values::F32(_) => None,
            Values::F64(v) => v.iter().position(|x| x.abs() > f32::MAX as f64),
        }
    }

    /// Rows `rows` (of `n_cols` values) minus `shift` (one value per column, taken off in
    /// f64 before the cast to `dtype`), as a tensor on `device`; no shift: [`tensor`](Self::tensor).
    /// The rows are converted straight into the tensor's element type: no f64 copy of them
    /// on the way.
    pub fn tensor_shifted<B: burn::tensor::backend::Backend>(
        &self,
        rows: std::ops::Range<usize>,
        n_cols: usize,
        device: &B::Device,
        dtype: burn::tensor::DType,
        shift: Option<&[f64]>,
    ) -> burn::tensor::Tensor<B, 2> {
        let shape = [rows.len(), n_cols];
        let range = rows.start * n_cols..rows.end * n_cols;
        let data = match self {
            Values::F32(v) => shifted_data(&v[range], shape, shift, dtype, f64::from),
            Values::F64(v) => shifted_data(&v[range], shape, shift, dtype, |x| x),
        };
        burn::tensor::Tensor::from_data(data, (device, dtype))
    }

    /// Rows `rows` (of `n_cols` values) as a tensor of `dtype` on `device`, exactly where
    /// the dtype holds them.
    pub fn tensor<B: burn::tensor::backend::Backend>(
        &self,
        rows: std::ops::Range<usize>,
        n_cols: usize,
        device: &B::Device,
        dtype: burn::tensor::DType,
    ) -> burn::tensor::Tensor<B, 2> {
        self.tensor_shifted(rows, n_cols, device, dtype, None)
    }

    /// The mean of each of the `n_cols` columns, in f64.
    pub fn column_means(&self, n_cols: usize) -> Vec<f64> {
        let mut sum = vec![0.0; n_cols];
        let mut rows = 0usize;
        self.for_each_row(n_cols, |row| {
            sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            rows += 1;
        });
        sum.iter().map(|s| s / rows.max(1) as f64).collect()
    }

    /// The values as an `[n_rows, n_cols]` tensor of `dtype` on `device`, each row minus
    /// `shift` (taken off in f64, before the cast) when given. Consumes them: f32 values
    /// for an f32 tensor, or f64 values for an f64 tensor, are shifted in place and become
    /// the tensor's memory (no copy on a CPU backend), so the data are held once.
    pub fn into_tensor<B: burn::tensor::backend::Backend>(
        self,
        n_cols: usize,
        device: &B::Device,
        dtype: burn::tensor::DType,
        shift: Option<&[f64]>,
    ) -> burn::tensor::Tensor<B, 2> {
        use burn::tensor::{DType, Tensor, TensorData};
        let n_rows = self.len() / n_cols.max(1);
        let shape = [n_rows, n_cols];
        let data = match (self, dtype) {
            (Values::F32(mut v), DType::F32) => {
                if let Some(s) = shift {
                    for row in v.chunks_mut(n_cols.max(1)) {
                        row.iter_mut()
                            .zip(s)
                            .for_each(|(x, s)| *x = (f64::from(*x) - s) as f32);
                    }
                }
                TensorData::new(v, shape)
            }
            (Values::F64(mut v), DType::F64) => {
                if let Some(s) = shift {
                    for row in v.chunks_mut(n_cols.max(1)) {
                        row.iter_mut().zip(s).for_each(|(x, s)| *x -= s);
                    }
                }
                TensorData::new(v, shape)
            }
            // Another element type: a converted copy, as borrowed values give it.
            (values, _) => return values.tensor_shifted(0..n_rows, n_cols, device, dtype, shift),
        };
        Tensor::from_data(data, (device, dtype))
    }

    /// How many values there are.
    fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }
}

/// `values` (row-major, `shape`) minus `shift` per column, in f64, as tensor data of `dtype`:
/// f32 elements for an f32 tensor, f64 for any other (which the backend then converts).
fn shifted_data<T: Copy>(
    values: &[T],
    shape: [usize; 2],
    shift: Option<&[f64]>,
    dtype: burn::tensor::DType,
    wide: impl Fn(T) -> f64,
) -> burn::tensor::TensorData {
    use burn::tensor::{DType, TensorData};
    let n_cols = shape[1].max(1);
    let value = |i: usize, x: T| wide(x) - shift.map_or(0.0, |s| s[i % n_cols]);
    let each = values.iter().enumerate();
    match dtype {
        DType::F32 => TensorData::new(
            each.map(|(i, &x)| value(i, x) as f32).collect::<Vec<f32>>(),
            shape,
        ),
        _ => TensorData::new(each.map(|(i, &x)| value(i, x)).collect::<Vec<f64>>(), shape),
    }
}

impl From<Vec<f64>> for Values {
    fn from(v: Vec<f64>) -> Self {
        Values::F64(v)
    }
}

/// A dense row-major matrix read from a file, with its column names when the file had them.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// The values, row-major, `n_rows * n_cols` of them.
    pub values: Values,
    /// Rows (samples).
    pub n_rows: usize,
    /// Columns (features).
    pub n_cols: usize,
    /// Column names from a CSV header, if there was one.
    pub header: Option<Vec<String>>,
    /// How the file's values were converted, when they were (an integer `.npy` array, a
    /// Fortran-order one, a `;`-separated CSV).
    pub note: Option<String>,
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
    #[error("{source_name}, line {line}, column {column}: cell {text:?} is not a number{hint}")]
    NotANumber {
        /// The file.
        source_name: String,
        /// 1-based line in the file.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The cell's text.
        text: String,
        /// A guess at the cause, or empty.
        hint: &'static str,
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
    /// The CSV reader failed.
    #[error("{source_name}: {reason}")]
    Csv {
        /// The file.
        source_name: String,
        /// The reader's message.
        reason: String,
    },
    /// A malformed or unsupported `.npy` file.
    #[error("{source_name}: {reason}")]
    Npy {
        /// The file.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file read again during the run no longer holds the matrix it held at the start.
    #[error("{path} changed during the run: it held {} × {} values, now {} × {}; run again on a file that stays put", was.0, was.1, now.0, now.1)]
    Changed {
        /// The file.
        path: String,
        /// Rows and columns at the start.
        was: (usize, usize),
        /// Rows and columns now.
        now: (usize, usize),
    },
}

/// The magic bytes that open every `.npy` file.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a matrix from `path`: `.npy` when the file starts with NumPy's magic bytes, else CSV
/// (with `delimiter`, or the one [`sniff_delimiter`] finds).
pub fn read_matrix(path: &Path, delimiter: Option<u8>) -> Result<Matrix, DataError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| DataError::Io {
        path: name.clone(),
        reason: io_reason(&e),
    })?;
    parse_bytes(&bytes, &name, delimiter)
}

/// Whether the file at `path` opens with NumPy's magic bytes (false when it cannot be read).
pub fn is_npy(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; NPY_MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == NPY_MAGIC)
}

/// Parses file contents (CSV text or `.npy` bytes); `source_name` is used in error messages.
pub fn parse_bytes(
    bytes: &[u8],
    source_name: &str,
    delimiter: Option<u8>,
) -> Result<Matrix, DataError> {
    if bytes.starts_with(NPY_MAGIC) {
        return parse_npy(bytes, source_name);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DataError::NotText {
        source_name: source_name.to_string(),
    })?;
    parse_csv(text, source_name, delimiter)
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

/// The delimiter of CSV text: a tab when its first non-blank line has one outside quotes,
/// else `;` when it has one, else `,` (a `;` file with decimal commas, `1,5;2`, stays `;`).
pub fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut quoted = false;
    let (mut tab, mut semicolon) = (false, false);
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            '\t' if !quoted => tab = true,
            ';' if !quoted => semicolon = true,
            _ => {}
        }
    }
    if tab {
        b'\t'
    } else if semicolon {
        b';'
    } else {
        b','
    }
}

/// Parses a cell as a number; `None` when it is not one. Rust's float syntax is accepted
/// (`1`, `-2.5`, `1e-3`, `inf`, `NaN`); non-finite values are rejected later, with their place.
fn parse_number(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        return None;
    }
    cell.parse::<f64>().ok()
}

/// The name of a delimiter in messages.
fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        other => format!("`{}`", other as char),
    }
}

/// Parses CSV text with `delimiter` (`None`: [`sniff_delimiter`]). The first non-blank row
/// is a header when any of its cells is not a number.
pub fn parse_csv(
    text: &str,
    source_name: &str,
    delimiter: Option<u8>,
) -> Result<Matrix, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(text));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());

    let mut header: Option<Vec<String>> = None;
    let mut first_line = 0;
    let mut values = Vec::new();
    let mut n_rows = 0;
    // (line, width) of the first data row: every other row must match it.
    let mut shape_line: Option<(usize, usize)> = None;
    let mut seen_first = false;
    for record in reader.records() {
        let record = record.map_err(|e| DataError::Csv {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        // A line of blanks is no row (a line of delimiters only is a row of empty cells,
        // which the number check below reports).
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        if !seen_first {
            seen_first = true;
            first_line = line;
            if record.iter().any(|c| parse_number(c).is_none()) {
                header = Some(record.iter().map(str::to_string).collect());
                continue;
            }
        }
        match shape_line {
            None => shape_line = Some((line, record.len())),
            Some((first_line, expected)) if expected != record.len() => {
                return Err(DataError::Ragged {
                    source_name: source_name.to_string(),
                    line,
                    found: record.len(),
                    first_line,
                    expected,
                });
            }
            Some(_) => {}
        }
        for (j, cell) in record.iter().enumerate() {
            let Some(v) = parse_number(cell) else {
                // `1,5` in a `;` file is a decimal comma.
                let hint = if delimiter != b',' && cell.replacen(',', ".", 1).parse::<f64>().is_ok()
                {
                    " (a decimal comma? write it with a point)"
                } else {
                    ""
                };
                return Err(DataError::NotANumber {
                    source_name: source_name.to_string(),
                    line,
                    column: j + 1,
                    text: cell.to_string(),
                    hint,
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
    let note =
        (delimiter != b',').then(|| format!("{} as the delimiter", delimiter_name(delimiter)));
    Ok(Matrix {
        values: Values::F64(values),
        n_rows,
        n_cols,
        header,
        note,
    })
}

/// Parses a `.npy` file: a 2-D array of floats, integers or bools, C or Fortran order.
pub fn parse_npy(bytes: &[u8], source_name: &str) -> Result<Matrix, DataError> {
    use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar};
    let err = |reason: String| DataError::Npy {
        source_name: source_name.to_string(),
        reason,
    };
    let mut data = bytes;
    let header = NpyHeader::from_reader(&mut data)
        .map_err(|e| err(format!("not a readable .npy file ({e})")))?;
    let DType::Plain(ts) = header.dtype() else {
        return Err(err(
            "structured arrays are not supported; save a plain 2-D numeric array".into(),
        ));
    };
    let shape = header.shape().to_vec();
    let shape_text = format!("{shape:?}");
    let [n_rows, n_cols] = shape[..] else {
        return Err(err(format!(
            "expected a 2-D array (samples × features), got shape {shape_text}; reshape it, e.g. x.reshape(-1, 1)"
        )));
    };
    let (n_rows, n_cols) = (n_rows as usize, n_cols as usize);
    if n_rows == 0 || n_cols == 0 {
        return Err(DataError::Empty {
            source_name: source_name.to_string(),
        });
    }
    let size = ts.size_field() as usize;
    let kind = match (ts.type_char(), size) {
        (TypeChar::Float, 8) => "float64",
        (TypeChar::Float, 4) => "float32",
        (TypeChar::Float, 2) => "float16",
        (TypeChar::Int, 1) => "int8",
        (TypeChar::Int, 2) => "int16",
        (TypeChar::Int, 4) => "int32",
        (TypeChar::Int, 8) => "int64",
        (TypeChar::Uint, 1) => "uint8",
        (TypeChar::Uint, 2) => "uint16",
        (TypeChar::Uint, 4) => "uint32",
        (TypeChar::Uint, 8) => "uint64",
        (TypeChar::Bool, 1) => "bool",
        _ => {
            return Err(err(format!(
                "element type {ts} is not supported; use numbers, e.g. np.save(path, x.astype(np.float64))"
            )))
        }
    };
    let expected = n_rows
        .checked_mul(n_cols)
        .and_then(|n| n.checked_mul(size))
        .ok_or_else(|| err(format!("shape {shape_text} is too large")))?;
    if data.len() != expected {
        return Err(err(format!(
            "shape {shape_text} of {kind} needs {expected} bytes of data, the file holds {}",
            data.len()
        )));
    }
    let order = header.order();
    let file = NpyFile::with_header(header, data);
    let read = |e: std::io::Error| err(format!("cannot read its {kind} values ({e})"));
    // Element by element into f32 where f32 holds every value of the file's type, else into
    // f64: no typed copy of the data on the way.
    let values = match kind {
        "float64" => widen::<f64, f64>(file).map(Values::F64),
        "float32" => widen::<f32, f32>(file).map(Values::F32),
        "float16" => widen::<half::f16, f32>(file).map(Values::F32),
        "int8" => widen::<i8, f32>(file).map(Values::F32),
        "int16" => widen::<i16, f32>(file).map(Values::F32),
        "int32" => widen::<i32, f64>(file).map(Values::F64),
        "int64" => convert(file, |v: i64| v as f64).map(Values::F64),
        "uint8" => widen::<u8, f32>(file).map(Values::F32),
        "uint16" => widen::<u16, f32>(file).map(Values::F32),
        "uint32" => widen::<u32, f64>(file).map(Values::F64),
        "uint64" => convert(file, |v: u64| v as f64).map(Values::F64),
        _ => convert(file, |v: bool| f32::from(u8::from(v))).map(Values::F32),
    }
    .map_err(read)?;
    // Fortran order stores columns one after the other: put the rows back together.
    fn rows_of<T: Copy>(v: Vec<T>, order: Order, n_rows: usize, n_cols: usize) -> Vec<T> {
        match order {
            Order::C => v,
            Order::Fortran => (0..n_rows * n_cols)
                .map(|i| v[(i % n_cols) * n_rows + i / n_cols])
                .collect(),
        }
    }
    let values = match values {
        Values::F32(v) => Values::F32(rows_of(v, order, n_rows, n_cols)),
        Values::F64(v) => Values::F64(rows_of(v, order, n_rows, n_cols)),
    };
    let first_bad = match &values {
        Values::F32(v) => v.iter().position(|x| !x.is_finite()),
        Values::F64(v) => v.iter().position(|x| !x.is_finite()),
    };
    if let Some(i) = first_bad {
        return Err(DataError::NonFinite {
            source_name: source_name.to_string(),
            location: format!("row {}, column {} (0-based)", i / n_cols, i % n_cols),
            text: format!("{}", values.get(i)),
        });
    }
    let mut notes = Vec::new();
    if !matches!(kind, "float64" | "float32") {
        notes.push(format!("{kind} values converted to floats"));
    }
    if order == Order::Fortran {
        notes.push("Fortran order read as rows".to_string());
    }
    Ok(Matrix {
        values,
        n_rows,
        n_cols,
        header: None,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

/// Every element of `file` as `T`, converted by `f`.
fn convert<T: npyz::Deserialize, U>(
    file: npyz::NpyFile<&[u8]>,
    f: impl Fn(T) -> U,
) -> std::io::Result<Vec<U>> {
    let reader = file
        .data::<T>()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    reader.map(|v| v.map(&f)).collect()
}

/// Every element of `file` as `T`, which `U` holds exactly.
fn widen<T: npyz::Deserialize + Into<U>, U>(file: npyz::NpyFile<&[u8]>) -> std::io::Result<Vec<U>> {
    convert(file, T::into)
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
        let m = parse_csv("1,2\n3,4.5\n\n-1e-3, 7\n", "t.csv", None).unwrap();
        assert_eq!((m.n_rows, m.n_cols), (3, 2));
        assert_eq!(m.values.to_vec(), vec![1.0, 2.0, 3.0, 4.5, -1e-3, 7.0]);
        assert_eq!(m.header, None);
    }

    #[test]
    fn csv_header_is_detected_by_any_non_numeric_cell() {
        let m = parse_csv("a,b\n1,2\n", "t.csv", None).unwrap();
        assert_eq!(m.header, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(m.values.to_vec(), vec![1.0, 2.0]);
        // One numeric and one text cell: still a header.
        let m = parse_csv("\"x\",2\r\n1,2\r\n3,4\r\n", "t.csv", None).unwrap();
        assert_eq!(m.header, Some(vec!["x".to_string(), "2".to_string()]));
        assert_eq!(m.n_rows, 2);
        // Quoted numbers are numbers.
        let m = parse_csv("\"1\",\"2\"\n", "t.csv", None).unwrap();
        assert_eq!((m.header, m.values.to_vec()), (None, vec![1.0, 2.0]));
    }

    #[test]
    fn csv_ragged_rows_name_the_line() {
        let e = parse_csv("a,b\n1,2\n3\n", "t.csv", None).unwrap_err();
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
            parse_csv("a,b,c\n1,2\n", "t.csv", None),
            Err(DataError::Ragged { .. })
        ));
    }

    #[test]
    fn csv_non_numeric_cell_names_line_column_and_text() {
        let e = parse_csv("a,b\n1,2\n3,oops\n", "t.csv", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 3, column 2: cell \"oops\" is not a number"
        );
        // An empty cell is not a number either.
        let e = parse_csv("1,2\n3,\n", "t.csv", None).unwrap_err();
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
        let e = parse_csv("1,2\nNaN,4\n", "t.csv", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 2, column 1: value NaN is not finite; remove or impute it first"
        );
        let e = parse_csv("1,2\n3,-inf\n", "t.csv", None).unwrap_err();
        assert!(matches!(e, DataError::NonFinite { .. }), "{e:?}");
    }

    #[test]
    fn csv_empty_inputs() {
        for text in ["", "\n\n", "a,b\n", "a,b\n\n"] {
            assert!(
                matches!(parse_csv(text, "t.csv", None), Err(DataError::Empty { .. })),
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
            let m = parse_bytes(&bytes, "t.npy", None).unwrap();
            assert_eq!((m.n_rows, m.n_cols), (4, 3));
            // Quarter steps are exact in f32, so the round trip is exact in both widths.
            assert_eq!(m.values.to_vec(), values);
            // An f32 file is held in f32 (half the memory), an f64 file in f64.
            assert_eq!(matches!(m.values, Values::F32(_)), f32_data);
        }
    }

    #[cfg(feature = "flex")]
    #[test]
    fn f32_values_become_tensors_of_either_dtype_exactly() {
        use burn::tensor::DType;
        type B = burn_flex::Flex;
        let v: Vec<f32> = vec![0.1, -2.5, 3.0e-7, 1.0e30, 7.0, -0.0];
        let values = Values::F32(v.clone());
        let dev = Default::default();
        let rows = values.tensor::<B>(1..3, 2, &dev, DType::F32);
        assert_eq!(rows.dtype(), DType::F32);
        assert_eq!(rows.into_data().to_vec::<f32>().unwrap(), v[2..6].to_vec());
        let wide = values.tensor::<B>(0..3, 2, &dev, DType::F64);
        assert_eq!(wide.dtype(), DType::F64);
        let want: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
        assert_eq!(wide.into_data().to_vec::<f64>().unwrap(), want);
        assert_eq!(values.get(1), -2.5);
        assert_eq!(values.beyond_f32(), None);
        assert_eq!(Values::F64(vec![1.0, 1e300]).beyond_f32(), Some(1));
        let mut rows_seen = Vec::new();
        values.for_each_row(4, |r| rows_seen.push(r.to_vec()));
        assert_eq!(rows_seen, vec![want[..4].to_vec(), want[4..].to_vec()]);
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
        assert_eq!(m.values.to_vec(), vec![1.5, -2.0]);
    }

    /// A version-1 `.npy` file with the header `dict` and the raw `data`.
    fn npy_with(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut b = NPY_MAGIC.to_vec();
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        b.extend_from_slice(dict.as_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn npy_reads_every_numeric_layout() {
        let dict = |descr: &str, fortran: bool| {
            let order = if fortran { "True" } else { "False" };
            format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': (2, 3), }}")
        };
        // [[1, 2, 3], [4, 5, 6]] in C order, and its columns one after the other in Fortran.
        let c_order = [1i64, 2, 3, 4, 5, 6];
        let f_order = [1i64, 4, 2, 5, 3, 6];
        let want: Vec<f64> = c_order.iter().map(|&v| v as f64).collect();
        type Enc = fn(i64) -> Vec<u8>;
        let cases: [(&str, Enc, &str); 7] = [
            ("<i8", |v| v.to_le_bytes().to_vec(), "int64"),
            ("<i4", |v| (v as i32).to_le_bytes().to_vec(), "int32"),
            ("|u1", |v| vec![v as u8], "uint8"),
            (">f8", |v| (v as f64).to_be_bytes().to_vec(), ""),
            ("<f4", |v| (v as f32).to_le_bytes().to_vec(), ""),
            (
                "<f2",
                |v| half::f16::from_f64(v as f64).to_le_bytes().to_vec(),
                "float16",
            ),
            ("<u2", |v| (v as u16).to_le_bytes().to_vec(), "uint16"),
        ];
        for (descr, enc, kind) in cases {
            for fortran in [false, true] {
                let order = if fortran { f_order } else { c_order };
                let data: Vec<u8> = order.iter().flat_map(|&v| enc(v)).collect();
                let m = parse_npy(&npy_with(&dict(descr, fortran), &data), "t.npy")
                    .unwrap_or_else(|e| panic!("{descr} fortran {fortran}: {e}"));
                assert_eq!((m.n_rows, m.n_cols), (2, 3));
                assert_eq!(m.values.to_vec(), want, "{descr} fortran {fortran}");
                let note = m.note.unwrap_or_default();
                // float32 and float64 need no conversion note; the others name their type.
                if kind.is_empty() {
                    assert!(!note.contains("converted"), "{descr}: {note:?}");
                } else {
                    assert!(note.contains(kind), "{descr}: {note:?}");
                }
                assert_eq!(note.contains("Fortran order"), fortran, "{note:?}");
            }
        }
        let bools =
            parse_npy(&npy_with(&dict("|b1", false), &[1, 0, 1, 0, 0, 1]), "t.npy").unwrap();
        assert_eq!(bools.values.to_vec(), [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn npy_rejects_what_is_not_a_numeric_matrix() {
        let data: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let good = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
        assert!(parse_npy(&npy_with(good, &data), "t.npy").is_ok());
        let swap = |from: &str, to: &str| npy_with(&good.replace(from, to), &data);
        let e = parse_npy(&swap("'<f8'", "'<U4'"), "t.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("U4") && e.contains("float64"), "{e}");
        let one_d = swap("(1, 2)", "(2,)  ");
        let e = parse_npy(&one_d, "t.npy").unwrap_err().to_string();
        assert!(e.contains("2-D"), "{e}");
        let full = npy_with(good, &data);
        let e = parse_npy(&full[..full.len() - 3], "t.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bytes of data"), "{e}");
        let e = parse_npy(&full[..20], "t.npy").unwrap_err().to_string();
        assert!(e.contains("not a readable .npy file"), "{e}");
    }

    #[test]
    fn csv_delimiters_bom_crlf_and_quotes() {
        // Semicolons, decimal points, a BOM and CRLF line ends.
        let m = parse_csv("\u{feff}a;b\r\n1.5;2\r\n3;4\r\n", "t.csv", None).unwrap();
        assert_eq!(m.header, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(m.values.to_vec(), [1.5, 2.0, 3.0, 4.0]);
        assert_eq!(m.note.as_deref(), Some("`;` as the delimiter"));
        // Tabs.
        let m = parse_csv("1\t2\n3\t4\n", "t.csv", None).unwrap();
        assert_eq!(
            (m.n_cols, m.note.as_deref()),
            (2, Some("tab as the delimiter"))
        );
        // A quoted header cell holding the delimiter stays one cell.
        let m = parse_csv("\"x, cm\",y\n1,2\n", "t.csv", None).unwrap();
        assert_eq!(m.header, Some(vec!["x, cm".to_string(), "y".to_string()]));
        assert_eq!(m.note, None);
        // A decimal comma in a `;` file is named.
        let e = parse_csv("a;b\n1;2,5\n", "t.csv", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"2,5\"") && e.contains("decimal comma"), "{e}");
        // Blank lines (spaces included) are skipped; a line of delimiters only is a row of
        // empty cells, which is named, not dropped.
        let m = parse_csv("1;2\n   \n3;4\n", "t.csv", None).unwrap();
        assert_eq!(m.values.to_vec(), [1.0, 2.0, 3.0, 4.0]);
        let e = parse_csv("1;2\n;\n3;4\n", "t.csv", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2, column 1"), "{e}");
        // --delimiter wins over the guess: a `;` in a comma file's header is a character.
        let m = parse_csv("a;1,b\n1,2\n", "t.csv", Some(b',')).unwrap();
        assert_eq!(m.header, Some(vec!["a;1".to_string(), "b".to_string()]));
        assert_eq!(sniff_delimiter("\n\n1,2;3\n"), b';');
        assert_eq!(sniff_delimiter("\"a;b\",c\n"), b',');
    }

    #[test]
    fn npy_nan_is_rejected_with_its_row_and_column() {
        let bytes = write_npy(&[1.0, 2.0, 3.0, f64::INFINITY], 2, 2, true);
        let e = parse_bytes(&bytes, "t.npy", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.npy, row 1, column 1 (0-based): value inf is not finite; remove or impute it first"
        );
    }

    #[test]
    fn missing_file_is_one_line() {
        let e = read_matrix(Path::new("/definitely/not/here.csv"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read /definitely/not/here.csv: no such file"
        );
    }
}
