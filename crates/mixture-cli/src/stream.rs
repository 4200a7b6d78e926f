//! Streamed runs: `mixture fit|kmeans|select --stream` read a `.npy`, CSV or Parquet file in
//! batches on every pass (`mixture::io`'s sources) instead of loading it, for data larger
//! than memory; under `mpirun` (the `mpi` feature) each rank streams its own shard and the
//! run spans the ranks (`Plan`, `parallel`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::{backend::Backend, DType};
use mixture::core::reduce::{Reducer, Sharded};
use mixture::core::DataSource;
use mixture::io::{default_batch_rows, CsvSource, NpySource};

use crate::backend::{self, BackendJob, Dtype};
use crate::cli::{FitArgs, Method};
use crate::data::{Matrix, Values};
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::fit::FitOutcome;
use crate::parallel;
use crate::precision::{Centring, Choice};
use crate::progress::ProgressObserver;

/// The file `--stream` reads and how.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    /// A `.npy` array.
    Npy(PathBuf),
    /// A CSV file with its delimiter and whether its first row is a header.
    Csv(PathBuf, u8, bool),
    /// A Parquet file (read with the `parquet` feature).
    Parquet(PathBuf),
}

impl Input {
    pub(crate) fn path(&self) -> &Path {
        match self {
            Input::Npy(p) | Input::Csv(p, ..) | Input::Parquet(p) => p,
        }
    }
}

/// What a streamed run read: rows (over every rank), columns, rows per batch, and the column
/// means taken off on the host before the cast to f32, if any (the job's result is about
/// them: move it back by as much).
#[derive(Debug, Clone)]
pub(crate) struct Streamed {
    pub n_samples: usize,
    pub n_features: usize,
    pub batch_rows: usize,
    pub centring: Option<Centring>,
}

/// Whether a command reads its input as a stream: `--stream`, a Parquet file (never loaded
/// whole), or a run across the ranks of an MPI job.
pub(crate) fn wanted(
    input: Option<&Path>,
    stream: bool,
    shard_rows: bool,
) -> Result<bool, CliError> {
    Ok(stream || is_parquet(input) || parallel::fit_group(input, shard_rows)?.is_some())
}

/// What a streamed run reads and how, agreed over the ranks of an MPI job: this process's
/// input (its shard, `{rank}` replaced), its block of rows with `--shard-rows`, the dtype.
pub(crate) struct Plan {
    pub input: Input,
    /// `(rank, world size)` with `--shard-rows`.
    pub part: Option<(usize, usize)>,
    pub dtype: Dtype,
    pub note: Option<String>,
    /// The ranks the run spans; `None` for one process.
    pub group: Option<&'static dyn Reducer>,
}

impl Plan {
    /// Reads `path` (with `delimiter` for CSV) for `backend`, at `requested` precision; across
    /// the ranks of the job where there is one (`parallel::fit_group`). Every rank's checks
    /// are agreed on before any other collective step.
    pub(crate) fn new(
        path: Option<&Path>,
        delimiter: Option<u8>,
        shard_rows: bool,
        requested: crate::backend::FitDtype,
        backend: crate::backend::BackendKind,
    ) -> Result<Self, CliError> {
        let group = parallel::fit_group(path, shard_rows)?;
        let local = || -> Result<(Input, Dtype, Option<String>), CliError> {
            let path = path.map(|p| match group {
                Some(g) => parallel::shard_path(p, g.rank()),
                None => p.to_path_buf(),
            });
            let input = open_input(path.as_deref(), delimiter)?;
            let (dtype, note) = dtype(requested, backend, &input)?;
            Ok((input, dtype, note))
        };
        let Some(g) = group else {
            let (input, dtype, note) = local()?;
            return Ok(Self {
                input,
                part: None,
                dtype,
                note,
                group: None,
            });
        };
        let (input, mine, mut note) = parallel::agreed(g, local)?;
        let dtype = parallel::common_dtype(g, mine)?;
        if dtype != mine {
            note = Some(format!(
                "{} (auto: a shard of another rank is float64)",
                dtype.name()
            ));
        }
        Ok(Self {
            input,
            part: shard_rows.then(|| (g.rank(), g.world_size())),
            dtype,
            note,
            group: Some(g),
        })
    }

    /// The ranks of the run, when it spans a group.
    pub(crate) fn world_size(&self) -> Option<usize> {
        self.group.map(|g| g.world_size())
    }

    /// Runs `job` on this process's source: the file (or its block of rows) alone, or as
    /// this rank's shard of the group's data set. Returns the job's value and what was read.
    ///
    /// An f32 run of a file that holds wider values (float64 `.npy`, CSV, Parquet) first
    /// takes the columns' means and spreads on the host, in f64, in two passes (over every
    /// rank's rows), and where the cast to f32 would round away the data's digits, the
    /// source takes the means off every row before the cast (step 1 of `precision`, as an
    /// in-memory fit does): the job then fits centred rows, and [`Streamed::centring`] says
    /// by how much to move its result back.
    pub(crate) fn with_source<B: Backend, T>(
        &self,
        device: &B::Device,
        dtype: DType,
        batch_size: Option<usize>,
        k: usize,
        job: impl FnOnce(&dyn DataSource<B>) -> Result<T, CliError>,
    ) -> Result<(T, Streamed), CliError> {
        let open = || open_source::<B>(&self.input, device, dtype, batch_size, k, self.part);
        let run = |source: &dyn DataSource<B>, batch_rows, centring| {
            let shape = Streamed {
                n_samples: source.n_samples(),
                n_features: source.n_features(),
                batch_rows,
                centring,
            };
            Ok((job(source)?, shape))
        };
        match self.group {
            None => {
                let (source, rows) = open()?;
                let centring = host_centring(&source, dtype, None)?;
                let source = match &centring {
                    Some(c) => source.with_shift(c.shift.clone())?,
                    None => source,
                };
                run(&source, rows, centring)
            }
            Some(g) => {
                let mut rows = 0;
                let source = Sharded::open(g, || {
                    let (s, r) = open().map_err(parallel::to_core)?;
                    rows = r;
                    Ok(s)
                })?;
                // After the open, whose checks (every shard opened, one width) it needs.
                let centring = host_centring(source.local(), dtype, Some(g))?;
                let source = match &centring {
                    Some(c) => {
                        let shifted = source.into_local().with_shift(c.shift.clone());
                        Sharded::open(g, || shifted)?
                    }
                    None => source,
                };
                run(&source, rows, centring)
            }
        }
    }

    /// The report's description of what was read (`input` as the user gave it: with
    /// `{rank}`), and how the dtype was chosen.
    pub(crate) fn describe(&self, input: Option<&Path>, read: Streamed) -> (Dataset, Choice) {
        let data = Dataset {
            name: input.unwrap_or(self.input.path()).display().to_string(),
            reload: None,
            matrix: Matrix {
                values: Values::F64(Vec::new()),
                n_rows: read.n_samples,
                n_cols: read.n_features,
                header: None,
                note: Some(stream_note(read.batch_rows, self.world_size())),
            },
            classes: None,
        };
        let note = match &read.centring {
            Some(c) => Some(format!(
                "{}{}",
                self.note.as_deref().unwrap_or("f32"),
                crate::precision::centring_note(Some(&c.why))
            )),
            None => self.note.clone(),
        };
        let choice = Choice {
            dtype: self.dtype,
            note,
        };
        (data, choice)
    }
}

/// Step 1 of the precision policy over a stream (see [`Plan::with_source`]): the column
/// means an f32 run takes off on the host before the cast, from two passes in f64 over the
/// rows (summed over the ranks of `group`); `None` for another dtype, for a file of f32
/// values (their cast is exact), or for data f32 holds as they are.
fn host_centring<B: Backend>(
    source: &Source<B>,
    dtype: DType,
    group: Option<&dyn Reducer>,
) -> Result<Option<Centring>, CliError> {
    if dtype != DType::F32 {
        return Ok(None);
    }
    // Every rank of a group takes the same branch: wide where any shard is.
    let mut wide = [f64::from(u8::from(!source.holds_f32()))];
    if let Some(g) = group {
        g.all_reduce_sum(&mut wide)?;
    }
    if wide[0] == 0.0 {
        return Ok(None);
    }
    let d = source.n_features();
    // Sums over every rank's rows; a rank that fails its pass fails every rank.
    let summed = |about: Option<&[f64]>| -> Result<Vec<f64>, CliError> {
        let local = column_sums(source, d, about);
        let mut sums = match group {
            Some(g) => mixture::core::reduce::agree(g, local)?,
            None => local?,
        };
        if let Some(g) = group {
            g.all_reduce_sum(&mut sums)?;
        }
        Ok(sums)
    };
    let sums = summed(None)?;
    let n = sums[d];
    if n == 0.0 {
        return Ok(None);
    }
    let mean: Vec<f64> = sums[..d].iter().map(|s| s / n).collect();
    let squares = summed(Some(&mean))?;
    let std: Vec<f64> = squares[..d].iter().map(|s| (s / n).sqrt()).collect();
    Ok(crate::precision::centring(mean, &std))
}

/// One pass on the host, in f64: each column's sum (or, `about` given, its sum of squares
/// about those values), then the number of rows.
fn column_sums<B: Backend>(
    source: &Source<B>,
    d: usize,
    about: Option<&[f64]>,
) -> mixture::core::Result<Vec<f64>> {
    let mut sums = vec![0.0; d + 1];
    source.for_each_host_batch(&mut |values| {
        for row in values.chunks_exact(d) {
            match about {
                None => sums.iter_mut().zip(row).for_each(|(s, v)| *s += v),
                Some(m) => {
                    for ((s, v), c) in sums.iter_mut().zip(row).zip(m) {
                        *s += (v - c) * (v - c);
                    }
                }
            }
            sums[d] += 1.0;
        }
        Ok(())
    })?;
    Ok(sums)
}

/// The checks `--stream` needs before any backend work: an input file and EM or variational.
fn check_method(args: &FitArgs) -> Result<(), CliError> {
    if args.method == Method::Gradient {
        return Err(CliError::Usage(
            "--stream (and a fit across MPI ranks) fits by --method em or variational; --method gradient loads the data (drop --stream)"
                .into(),
        ));
    }
    Ok(())
}

/// The file `--stream` reads: a `.npy` file as an array; anything else as CSV, its delimiter
/// `--delimiter` or sniffed from the first line as for a loaded file, that line a header when
/// a cell of it is not a number.
pub(crate) fn open_input(path: Option<&Path>, delimiter: Option<u8>) -> Result<Input, CliError> {
    let Some(path) = path else {
        return Err(CliError::Usage(
            "--stream reads a file: give --input FILE.npy or FILE.csv".into(),
        ));
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") => return Ok(Input::Npy(path.to_path_buf())),
        Some("parquet") => return Ok(Input::Parquet(path.to_path_buf())),
        _ => {}
    }
    use std::io::BufRead;
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let first = std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let first = first.trim_start_matches('\u{feff}');
    let delimiter = delimiter.unwrap_or_else(|| crate::data::sniff_delimiter(first));
    let header = first
        .split(delimiter as char)
        .any(|c| c.trim().trim_matches('"').parse::<f64>().is_err());
    Ok(Input::Csv(path.to_path_buf(), delimiter, header))
}

/// The dtype a streamed fit runs in, and the report's note on how it was chosen: a fixed
/// `--dtype`, else a `.npy` file's own dtype, CSV in f64 (f32 on a backend without f64).
pub(crate) fn dtype(
    requested: crate::backend::FitDtype,
    backend: crate::backend::BackendKind,
    input: &Input,
) -> Result<(Dtype, Option<String>), CliError> {
    if let Some(d) = requested.fixed() {
        return Ok((d, None));
    }
    let (wide, why) = match input {
        Input::Npy(p) => (file_is_f64(p)?, "the file's dtype"),
        Input::Csv(..) => (true, "CSV text is read in f64"),
        Input::Parquet(_) => (true, "Parquet columns are read in f64"),
    };
    let d = if wide && backend.has_f64() {
        Dtype::F64
    } else {
        Dtype::F32
    };
    Ok((d, Some(format!("{} (auto with --stream: {why})", d.name()))))
}

/// A streamed input as a data source: a `.npy` array or a CSV file.
pub(crate) enum Source<B: Backend> {
    Npy(NpySource<B>),
    Csv(CsvSource<B>),
    #[cfg(feature = "parquet")]
    Parquet(mixture::io::ParquetSource<B>),
}

impl<B: Backend> Source<B> {
    /// Whether the file holds f32 values (a float32 `.npy`), whose cast to f32 is exact.
    fn holds_f32(&self) -> bool {
        matches!(self, Source::Npy(s) if s.is_f32())
    }

    /// The source taking `shift` off every row on the host, in f64, before the cast.
    fn with_shift(self, shift: Vec<f64>) -> mixture::core::Result<Self> {
        Ok(match self {
            Source::Npy(s) => Source::Npy(s.with_shift(shift)?),
            Source::Csv(s) => Source::Csv(s.with_shift(shift)?),
            #[cfg(feature = "parquet")]
            Source::Parquet(s) => Source::Parquet(s.with_shift(shift)?),
        })
    }

    /// Each batch's values, row-major, in f64, without tensors.
    fn for_each_host_batch(
        &self,
        f: &mut dyn FnMut(&[f64]) -> mixture::core::Result<()>,
    ) -> mixture::core::Result<()> {
        match self {
            Source::Npy(s) => s.for_each_host_batch(f),
            Source::Csv(s) => s.for_each_host_batch(f),
            #[cfg(feature = "parquet")]
            Source::Parquet(s) => s.for_each_host_batch(f),
        }
    }
}

impl<B: Backend> DataSource<B> for Source<B> {
    fn n_samples(&self) -> usize {
        match self {
            Source::Npy(s) => s.n_samples(),
            Source::Csv(s) => s.n_samples(),
            #[cfg(feature = "parquet")]
            Source::Parquet(s) => s.n_samples(),
        }
    }

    fn n_features(&self) -> usize {
        match self {
            Source::Npy(s) => s.n_features(),
            Source::Csv(s) => s.n_features(),
            #[cfg(feature = "parquet")]
            Source::Parquet(s) => s.n_features(),
        }
    }

    fn for_each_batch(
        &self,
        f: &mut dyn FnMut(mixture::core::Batch<B>) -> mixture::core::Result<()>,
    ) -> mixture::core::Result<()> {
        match self {
            Source::Npy(s) => s.for_each_batch(f),
            Source::Csv(s) => s.for_each_batch(f),
            #[cfg(feature = "parquet")]
            Source::Parquet(s) => s.for_each_batch(f),
        }
    }

    fn device(&self) -> B::Device {
        match self {
            Source::Npy(s) => s.device(),
            Source::Csv(s) => s.device(),
            #[cfg(feature = "parquet")]
            Source::Parquet(s) => s.device(),
        }
    }
}

/// Opens the streamed input as a source of `dtype` on `device`, in batches of `batch_size`
/// rows (else the default for its width and `k` components), only the block of rows of
/// `part = (rank, world size)` when given; returns it with its batch size.
pub(crate) fn open_source<B: Backend>(
    input: &Input,
    device: &B::Device,
    dtype: DType,
    batch_size: Option<usize>,
    k: usize,
    part: Option<(usize, usize)>,
) -> Result<(Source<B>, usize), CliError> {
    let rows = |d: usize| batch_size.unwrap_or_else(|| default_batch_rows(d, k));
    let block = |n: usize| part.map(|(rank, w)| parallel::block(n, rank, w));
    Ok(match input {
        Input::Npy(path) => {
            let mut source = NpySource::<B>::open(path, device, dtype)?;
            if let Some(b) = block(source.n_samples()) {
                source = source.with_rows(b);
            }
            let r = rows(source.n_features());
            (Source::Npy(source.with_batch_rows(r)), r)
        }
        Input::Csv(path, delimiter, header) => {
            let mut source = CsvSource::<B>::open(path, *delimiter, *header, device, dtype)?;
            if let Some(b) = block(source.n_samples()) {
                source = source.with_rows(b);
            }
            let r = rows(source.n_features());
            (Source::Csv(source.with_batch_rows(r)), r)
        }
        #[cfg(feature = "parquet")]
        Input::Parquet(path) => {
            let mut source = mixture::io::ParquetSource::<B>::open(path, device, dtype)?;
            if let Some(b) = block(source.n_samples()) {
                source = source.with_rows(b);
            }
            let r = rows(source.n_features());
            (Source::Parquet(source.with_batch_rows(r)), r)
        }
        #[cfg(not(feature = "parquet"))]
        Input::Parquet(path) => {
            return Err(CliError::Usage(format!(
                "{}: this build reads no Parquet; build with --features parquet (cargo install --path crates/mixture-cli --features parquet), or convert the file to .npy",
                path.display()
            )));
        }
    })
}

/// Whether `path` is a Parquet file (always streamed: `mixture fit --input x.parquet`).
pub(crate) fn is_parquet(path: Option<&Path>) -> bool {
    path.and_then(|p| p.extension())
        .is_some_and(|e| e == "parquet")
}

/// Whether the file holds float64 values (from its header alone).
fn file_is_f64(path: &Path) -> Result<bool, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file))
        .map_err(|e| CliError::Usage(format!("{} is not a .npy file: {e}", path.display())))?;
    Ok(npy.dtype().descr().contains("f8"))
}

/// The streamed fit, as a job for any backend.
struct StreamJob<'a> {
    args: &'a FitArgs,
    plan: &'a Plan,
}

impl BackendJob for StreamJob<'_> {
    type Output = (FitOutcome, Streamed);

    fn run<B: Backend>(
        self,
        device: B::Device,
        dtype: DType,
    ) -> Result<(FitOutcome, Streamed), CliError> {
        let args = self.args;
        let (mut outcome, read) = self.plan.with_source::<B, _>(
            &device,
            dtype,
            args.batch_size,
            args.components,
            |source| {
                let mut observer = ProgressObserver::new(!args.json && !args.no_progress);
                run_on(args, &source, &mut observer)
            },
        )?;
        if let Some(c) = &read.centring {
            outcome.move_by(&c.shift)?;
        }
        Ok((outcome, read))
    }
}

/// What a streamed fit returns: the outcome, a dataset that describes the file (no values),
/// how the dtype was chosen and the ranks it ran on (`None` for one process).
pub(crate) type StreamedFit = (FitOutcome, Dataset, Choice, Option<usize>);

/// Runs `mixture fit --stream`, or a fit across the ranks of an MPI job.
pub fn fit(args: &FitArgs, delimiter: Option<u8>) -> Result<StreamedFit, CliError> {
    check_method(args)?;
    let plan = Plan::new(
        args.input.as_deref(),
        delimiter,
        args.shard_rows,
        args.dtype,
        args.backend,
    )?;
    let job = StreamJob { args, plan: &plan };
    let (outcome, read) = backend::dispatch(args.backend, plan.dtype, job)?;
    let (data, choice) = plan.describe(args.input.as_deref(), read);
    Ok((outcome, data, choice, plan.world_size()))
}

/// The report's note on how the rows were read.
fn stream_note(rows: usize, world_size: Option<usize>) -> String {
    match world_size {
        None => format!("streamed from disk in batches of {rows} rows"),
        Some(w) => format!(
            "streamed from disk in batches of {rows} rows, on {w} MPI rank{} (statistics summed over the ranks)",
            if w == 1 { "" } else { "s" }
        ),
    }
}

/// The method's fit over any source.
fn run_on<B: Backend, S: DataSource<B>>(
    args: &FitArgs,
    source: &S,
    observer: &mut ProgressObserver,
) -> Result<FitOutcome, CliError> {
    match args.method {
        Method::Variational => variational(args, source, observer),
        _ => em(args, source, observer),
    }
}

/// Sums `f(batch) · rows` over the batches, divided by the rows: `M` means over the stream,
/// from one pass.
fn stream_means<B: Backend, S: DataSource<B>, const M: usize>(
    source: &S,
    f: &mut dyn FnMut(&burn::tensor::Tensor<B, 2>) -> mixture::core::Result<[f64; M]>,
) -> Result<[f64; M], CliError> {
    let mut total = [0.0; M];
    source.for_each_batch(&mut |b| {
        let rows = b.n_samples() as f64;
        for (t, v) in total.iter_mut().zip(f(&b.x)?) {
            *t += v * rows;
        }
        Ok(())
    })?;
    // A shard: the sums of every rank.
    if let Some(reducer) = source.reducer() {
        reducer.all_reduce_sum(&mut total)?;
    }
    Ok(total.map(|t| t / source.n_samples() as f64))
}

/// EM over the stream, and one more pass for the mean log-likelihood.
fn em<B: Backend, S: DataSource<B>>(
    args: &FitArgs,
    source: &S,
    observer: &mut ProgressObserver,
) -> Result<FitOutcome, CliError> {
    // The source does the batching; the config's batch size is not used by fit_source.
    let config = crate::em::config(args)?.with_batch_size(None);
    let start = Instant::now();
    let model = config.fit_source(source, observer)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let [score] = stream_means(source, &mut |x| Ok([model.score(x)?]))?;
    FitOutcome::gaussian(
        &model,
        score,
        source.n_samples(),
        fit_seconds,
        model.to_json()?,
    )
}

/// Variational EM over the stream; the scores as `mixture fit --method variational` reports
/// them, from one more pass.
fn variational<B: Backend, S: DataSource<B>>(
    args: &FitArgs,
    source: &S,
    observer: &mut ProgressObserver,
) -> Result<FitOutcome, CliError> {
    let config = crate::variational::config(args)?.with_batch_size(None);
    let start = Instant::now();
    let model = config.fit_source(source, observer)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let point = model.point_estimate();
    let [score, point_score] =
        stream_means(source, &mut |x| Ok([model.score(x)?, point.score(x)?]))?;
    crate::variational::outcome(
        &model,
        &config,
        score,
        point_score,
        source.n_samples(),
        fit_seconds,
    )
}
