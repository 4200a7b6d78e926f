//! The data a command works on: a file given with `--input`, or the bundled iris data.

use std::path::{Path, PathBuf};

use crate::data::{self, DataError, Matrix, Values};

/// Fisher's iris data (150 flowers × 4 measurements in cm, and the species), as shipped by
/// scikit-learn's `load_iris` (which follows Fisher's 1936 paper).
const IRIS_CSV: &str = include_str!("../data/iris.csv");

/// Known classes of the rows, for a dataset that has them (the bundled iris).
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// What the classes are called as a group (for example "species").
    pub title: String,
    /// Class names, indexed by class id.
    pub names: Vec<String>,
    /// The class id of every row.
    pub of_row: Vec<usize>,
}

/// A numeric matrix with a name for reports and, optionally, known classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// How reports name the data: the file path, or "iris (bundled)".
    pub name: String,
    /// The features.
    pub matrix: Matrix,
    /// Known classes, if any.
    pub classes: Option<Classes>,
    /// The `.npy` file the values came from, when they can be read from it again: a fit may
    /// then take them over ([`lend_values`](Self::lend_values)) and hold the data once.
    pub reload: Option<Reload>,
}

/// Where a [`Dataset`]'s values can be read again, and whether a fit holds them now.
#[derive(Debug, Clone, PartialEq)]
pub struct Reload {
    /// The `.npy` file.
    pub path: PathBuf,
    /// Whether the values were lent to a fit (and `matrix.values` is empty until
    /// [`Dataset::ensure_values`]).
    pub lent: bool,
}

impl Dataset {
    /// Reads `path` (CSV with `delimiter`, or the one the text suggests), or loads the
    /// bundled iris data when `path` is `None`.
    pub fn load(path: Option<&Path>, delimiter: Option<u8>) -> Result<Self, DataError> {
        match path {
            Some(p) => {
                let matrix = data::read_matrix(p, delimiter)?;
                Ok(Self {
                    name: p.display().to_string(),
                    reload: data::is_npy(p).then(|| Reload {
                        path: p.to_path_buf(),
                        lent: false,
                    }),
                    matrix,
                    classes: None,
                })
            }
            None => Ok(iris()),
        }
    }

    /// The values, for a fit that turns them into its tensor, when they can be read again
    /// from their `.npy` file (reading one is a copy, where a CSV is parsed again); else
    /// `None`, and the fit copies them. Until [`ensure_values`](Self::ensure_values),
    /// `matrix.values` is empty; the shape, header and note stay.
    pub fn lend_values(&mut self) -> Option<Values> {
        let reload = self.reload.as_mut().filter(|r| !r.lent)?;
        reload.lent = true;
        Some(std::mem::replace(
            &mut self.matrix.values,
            Values::F32(Vec::new()),
        ))
    }

    /// Reads lent values back from their file.
    ///
    /// # Errors
    /// The file can no longer be read, or no longer holds the same matrix.
    pub fn ensure_values(&mut self) -> Result<(), DataError> {
        let Some(reload) = self.reload.as_mut().filter(|r| r.lent) else {
            return Ok(());
        };
        let matrix = data::read_matrix(&reload.path, None)?;
        if (matrix.n_rows, matrix.n_cols) != (self.matrix.n_rows, self.matrix.n_cols) {
            return Err(DataError::Changed {
                path: reload.path.display().to_string(),
                was: (self.matrix.n_rows, self.matrix.n_cols),
                now: (matrix.n_rows, matrix.n_cols),
            });
        }
        reload.lent = false;
        self.matrix.values = matrix.values;
        Ok(())
    }

    /// Column names: the CSV header, else `x0`, `x1`, ….
    pub fn feature_names(&self) -> Vec<String> {
        self.matrix
            .header
            .clone()
            .unwrap_or_else(|| (0..self.matrix.n_cols).map(|j| format!("x{j}")).collect())
    }
}

/// The bundled iris data: four numeric columns, and the species (last column) as classes.
pub fn iris() -> Dataset {
    let mut numeric = String::with_capacity(IRIS_CSV.len());
    let mut names: Vec<String> = Vec::new();
    let mut of_row = Vec::new();
    let mut title = String::new();
    for (i, line) in IRIS_CSV
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let (features, class) = line.rsplit_once(',').expect("iris.csv has 5 columns");
        numeric.push_str(features);
        numeric.push('\n');
        if i == 0 {
            title = class.to_string();
            continue;
        }
        let id = match names.iter().position(|n| n == class) {
            Some(id) => id,
            None => {
                names.push(class.to_string());
                names.len() - 1
            }
        };
        of_row.push(id);
    }
    let matrix =
        data::parse_csv(&numeric, "iris.csv", Some(b',')).expect("the bundled iris.csv is valid");
    Dataset {
        name: "iris (bundled)".to_string(),
        reload: None,
        matrix,
        classes: Some(Classes {
            title,
            names,
            of_row,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` dataset lends its values (the matrix keeps its shape) and reads them back
    /// from the file; a file that changed in between is an error that names it; CSV and the
    /// bundled data are never lent.
    #[test]
    fn npy_values_are_lent_and_read_again() {
        let dir = std::env::temp_dir();
        let path = dir.join(format!("mixture-lend-{}.npy", std::process::id()));
        let values = vec![1.5, -2.0, 3.25, 4.0, 0.5, -0.75];
        std::fs::write(&path, data::write_npy(&values, 3, 2, true)).unwrap();
        let mut d = Dataset::load(Some(&path), None).unwrap();
        let lent = d.lend_values().unwrap();
        assert_eq!(
            lent,
            Values::F32(values.iter().map(|&v| v as f32).collect())
        );
        assert!(d.lend_values().is_none(), "lent twice");
        assert_eq!((d.matrix.n_rows, d.matrix.n_cols), (3, 2));
        d.ensure_values().unwrap();
        assert_eq!(d.matrix.values, lent);
        d.lend_values().unwrap();
        std::fs::write(&path, data::write_npy(&values, 2, 3, true)).unwrap();
        let e = d.ensure_values().unwrap_err().to_string();
        assert!(
            e.contains("changed during the run") && e.contains("3 × 2"),
            "{e}"
        );
        std::fs::remove_file(&path).ok();

        let csv = dir.join(format!("mixture-lend-{}.csv", std::process::id()));
        std::fs::write(&csv, "1,2\n3,4\n").unwrap();
        assert!(Dataset::load(Some(&csv), None)
            .unwrap()
            .lend_values()
            .is_none());
        std::fs::remove_file(&csv).ok();
        assert!(iris().lend_values().is_none());
    }

    /// Lent values become a tensor of either dtype, each row shifted in f64 before the cast.
    #[cfg(feature = "flex")]
    #[test]
    fn values_become_shifted_tensors_of_either_dtype() {
        use burn::tensor::DType;
        type B = burn_flex::Flex;
        let dev = Default::default();
        let raw = [1.0e8 + 0.5, 2.0, 1.0e8 - 0.5, 4.0];
        let shift = [1.0e8, 3.0];
        let want = [0.5, -1.0, -0.5, 1.0];
        for values in [
            Values::F64(raw.to_vec()),
            Values::F32(raw.iter().map(|&v| v as f32).collect()),
        ] {
            let exact = matches!(values, Values::F64(_));
            for dtype in [DType::F32, DType::F64] {
                let x = values
                    .clone()
                    .into_tensor::<B>(2, &dev, dtype, Some(&shift));
                assert_eq!(x.dims(), [2, 2]);
                let got = mixture::core::tensor::to_vec_f64(x).unwrap();
                // f32 values of 1e8 ± 0.5 are 1e8 already (f32 spacing there is 8).
                let want: Vec<f64> = if exact {
                    want.to_vec()
                } else {
                    vec![0.0, -1.0, 0.0, 1.0]
                };
                assert_eq!(got, want, "{values:?} as {dtype:?}");
            }
        }
    }

    #[test]
    fn bundled_iris() {
        let d = iris();
        assert_eq!((d.matrix.n_rows, d.matrix.n_cols), (150, 4));
        assert_eq!(
            d.feature_names(),
            ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        );
        let c = d.classes.unwrap();
        assert_eq!(c.title, "species");
        assert_eq!(c.names, ["setosa", "versicolor", "virginica"]);
        assert_eq!(c.of_row.len(), 150);
        // The column means of iris, a well-known check: 5.843, 3.057, 3.758, 1.199.
        let mean = |j: usize| {
            d.matrix
                .values
                .to_vec()
                .iter()
                .skip(j)
                .step_by(4)
                .sum::<f64>()
                / 150.0
        };
        let expected = [5.843_333, 3.057_333, 3.758_000, 1.199_333];
        for (j, e) in expected.iter().enumerate() {
            assert!((mean(j) - e).abs() < 1e-6, "column {j}: {}", mean(j));
        }
    }
}
