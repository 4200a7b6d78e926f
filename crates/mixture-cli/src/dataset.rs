//! The data a command works on: a file given with `--input`, or the bundled iris data.

use std::path::Path;

use crate::data::{self, DataError, Matrix};

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
}

impl Dataset {
    /// Reads `path` (CSV with `delimiter`, or the one the text suggests), or loads the
    /// bundled iris data when `path` is `None`.
    pub fn load(path: Option<&Path>, delimiter: Option<u8>) -> Result<Self, DataError> {
        match path {
            Some(p) => Ok(Self {
                name: p.display().to_string(),
                matrix: data::read_matrix(p, delimiter)?,
                classes: None,
            }),
            None => Ok(iris()),
        }
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
