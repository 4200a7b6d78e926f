//! Choosing the burn backend and float precision at run time.
//!
//! The work is written once, generic over `B: Backend`, as a [`BackendJob`]; [`dispatch`] picks
//! the concrete backend type from the `--backend` and `--dtype` options.
//!
//! | backend   | f32                         | f64                                    |
//! |-----------|-----------------------------|----------------------------------------|
//! | `flex`    | `Flex`, `DType::F32`        | `Flex`, `DType::F64` (runtime dtype)   |
//! | `ndarray` | `NdArray<f32>`              | `NdArray<f64>`                         |
//! | `wgpu`    | `Wgpu`, default device      | not supported                          |
//! | `cuda`    | `Cuda`                      | `Cuda<f64>`                            |

use burn::tensor::{backend::Backend, DType};
use clap::ValueEnum;

use crate::error::CliError;

/// A burn backend the CLI knows about (it runs only if compiled in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// burn-flex, the fastest CPU backend (feature `flex`, on by default).
    Flex,
    /// burn-ndarray, CPU (feature `ndarray`).
    Ndarray,
    /// burn-wgpu, GPU through Vulkan/Metal/DX12, f32 only (feature `wgpu`).
    Wgpu,
    /// burn-cuda, NVIDIA GPUs (feature `cuda`).
    Cuda,
}

impl BackendKind {
    /// Every backend, compiled in or not.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Flex,
        BackendKind::Ndarray,
        BackendKind::Wgpu,
        BackendKind::Cuda,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Whether this binary was built with the backend's feature.
    pub fn compiled(self) -> bool {
        match self {
            BackendKind::Flex => cfg!(feature = "flex"),
            BackendKind::Ndarray => cfg!(feature = "ndarray"),
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The default: the first compiled-in backend in the order flex, ndarray, cuda, wgpu.
    pub fn default_compiled() -> Self {
        [
            BackendKind::Flex,
            BackendKind::Ndarray,
            BackendKind::Cuda,
            BackendKind::Wgpu,
        ]
        .into_iter()
        .find(|b| b.compiled())
        .unwrap_or(BackendKind::Flex)
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Float precision of the computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dtype {
    /// 32-bit floats.
    F32,
    /// 64-bit floats.
    F64,
}

impl Dtype {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }

    /// burn's runtime dtype.
    pub fn burn(self) -> DType {
        match self {
            Dtype::F32 => DType::F32,
            Dtype::F64 => DType::F64,
        }
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The precision `mixture fit` asks for: a fixed dtype, or `auto` (the default), which fits
/// in f32 and moves to f64 when f32 cannot be trusted with the data (see
/// [`precision`](crate::precision)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FitDtype {
    /// f32, checked: f64 when the data or the fit needs it, and the report says why.
    Auto,
    /// 32-bit floats, whatever happens (a failure names `--dtype f64`).
    F32,
    /// 64-bit floats.
    F64,
}

impl FitDtype {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FitDtype::Auto => "auto",
            FitDtype::F32 => "f32",
            FitDtype::F64 => "f64",
        }
    }

    /// The dtype asked for, or `None` for `auto`.
    pub fn fixed(self) -> Option<Dtype> {
        match self {
            FitDtype::Auto => None,
            FitDtype::F32 => Some(Dtype::F32),
            FitDtype::F64 => Some(Dtype::F64),
        }
    }
}

impl BackendKind {
    /// Whether the backend computes in f64 (all but wgpu).
    pub fn has_f64(self) -> bool {
        self != BackendKind::Wgpu
    }
}

/// Work that runs on any backend: implement it once, run it on the one the user picked.
pub trait BackendJob {
    /// What the job produces.
    type Output;
    /// Runs the job on backend `B`, creating float tensors with `dtype`.
    fn run<B: Backend>(self, device: B::Device, dtype: DType) -> Result<Self::Output, CliError>;
}

/// Runs `job` on the backend and dtype the user chose.
///
/// # Errors
/// A usage error when the backend is not compiled in or does not support the dtype, else the
/// job's error.
#[allow(unreachable_patterns)] // the last arm is unreachable when every backend is compiled in
pub fn dispatch<J: BackendJob>(
    kind: BackendKind,
    dtype: Dtype,
    job: J,
) -> Result<J::Output, CliError> {
    match (kind, dtype) {
        #[cfg(feature = "flex")]
        (BackendKind::Flex, dtype) => job.run::<burn_flex::Flex>(Default::default(), dtype.burn()),
        #[cfg(feature = "ndarray")]
        (BackendKind::Ndarray, Dtype::F32) => {
            job.run::<burn_ndarray::NdArray<f32>>(Default::default(), DType::F32)
        }
        #[cfg(feature = "ndarray")]
        (BackendKind::Ndarray, Dtype::F64) => {
            job.run::<burn_ndarray::NdArray<f64>>(Default::default(), DType::F64)
        }
        #[cfg(feature = "wgpu")]
        (BackendKind::Wgpu, Dtype::F32) => {
            job.run::<burn_wgpu::Wgpu>(burn_wgpu::WgpuDevice::default(), DType::F32)
        }
        #[cfg(feature = "wgpu")]
        (BackendKind::Wgpu, Dtype::F64) => Err(CliError::Usage(
            "the wgpu backend supports only --dtype f32".to_string(),
        )),
        #[cfg(feature = "cuda")]
        (BackendKind::Cuda, Dtype::F32) => {
            job.run::<burn_cuda::Cuda>(burn_cuda::CudaDevice::default(), DType::F32)
        }
        #[cfg(feature = "cuda")]
        (BackendKind::Cuda, Dtype::F64) => {
            job.run::<burn_cuda::Cuda<f64>>(burn_cuda::CudaDevice::default(), DType::F64)
        }
        (kind, _) => Err(not_compiled(kind)),
    }
}

/// The error for a backend this binary lacks.
fn not_compiled(kind: BackendKind) -> CliError {
    let available: Vec<&str> = BackendKind::ALL
        .iter()
        .filter(|b| b.compiled())
        .map(|b| b.name())
        .collect();
    CliError::Usage(format!(
        "backend `{kind}` is not compiled into this binary (available: {}); rebuild with `--features {kind}`",
        available.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_compiled_in() {
        assert!(BackendKind::default_compiled().compiled());
    }

    #[test]
    fn missing_backend_names_the_feature() {
        let msg = not_compiled(BackendKind::Cuda).to_string();
        assert!(
            msg.contains("--features cuda") && !msg.contains('\n'),
            "{msg}"
        );
    }
}
