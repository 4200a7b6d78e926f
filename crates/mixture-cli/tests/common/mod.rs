//! Helpers every test binary of the `mixture` command shares: running the binary, reading its
//! JSON, a scratch directory, writing `.npy` files. (Each file under `tests/` is its own
//! crate and uses a part of them.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs the binary with `args`.
pub fn mixture(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mixture"))
        .args(args)
        .output()
        .expect("the mixture binary runs")
}

/// Runs the binary, expects success, and returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = mixture(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs the binary, expects success, and parses stdout as one JSON object.
pub fn json(args: &[&str]) -> Value {
    let text = ok(args);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(v.is_object(), "{text}");
    v
}

/// A fresh scratch directory `group/name` under Cargo's temporary directory for tests.
pub fn scratch_in(group: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A version-1 `.npy` file of little-endian f8 or f4 values, `rows` as `[N][D]`.
pub fn npy(rows: &[Vec<f64>], f32_data: bool) -> Vec<u8> {
    let (n, d) = (rows.len(), rows[0].len());
    let descr = if f32_data { "<f4" } else { "<f8" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n}, {d}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in rows.iter().flatten() {
        if f32_data {
            out.extend_from_slice(&(*v as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// A JSON number as f64.
pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}
