//! A smoke fit on the wgpu backend: the same iris fit as on the CPU, through `--backend wgpu`,
//! must agree with flex in f32. Run by hand (CI only compiles it, for time):
//! `cargo test -p mixture-cli --features wgpu --test wgpu_smoke`; it needs a Vulkan driver
//! (Mesa's software one, `mesa-vulkan-drivers libvulkan1`, will do).
#![cfg(feature = "wgpu")]

mod common;

fn fit(backend: &str) -> serde_json::Value {
    run(&[
        "fit",
        "--backend",
        backend,
        "--covariance",
        "diag",
        "--json",
        "--seed",
        "0",
    ])
}

fn run(args: &[&str]) -> serde_json::Value {
    common::json(args)
}

#[test]
fn iris_fits_on_wgpu_like_on_flex() {
    let gpu = fit("wgpu");
    let cpu = fit("flex");
    assert_eq!(gpu["backend"], "wgpu");
    assert_eq!(gpu["n_samples"], 150);
    let (a, b) = (
        gpu["mean_log_likelihood"].as_f64().unwrap(),
        cpu["mean_log_likelihood"].as_f64().unwrap(),
    );
    // Same data, same start (k-means on the same backend-independent host RNG); f32 sums in
    // another order on the GPU: agreement to 1e-3 in a mean log-likelihood of order 1.
    assert!((a - b).abs() < 1e-3, "wgpu {a} vs flex {b}");
    println!("wgpu mean log-likelihood {a}, flex {b}");
}

#[test]
fn the_gradient_module_trains_on_autodiff_wgpu() {
    // `--method gradient` trains the learnable mixture on `Autodiff<Wgpu>`.
    let args = [
        "fit",
        "--backend",
        "wgpu",
        "--method",
        "gradient",
        "--family",
        "diagonal",
        "--iterations",
        "200",
        "--component-lr",
        "0.05",
        "--json",
        "--seed",
        "0",
    ];
    let gpu = run(&args);
    let mut cpu_args = args;
    cpu_args[2] = "flex";
    let cpu = run(&cpu_args);
    let (a, b) = (
        gpu["final_loss"].as_f64().unwrap(),
        cpu["final_loss"].as_f64().unwrap(),
    );
    assert!(a.is_finite() && b.is_finite());
    // 200 Adam steps from the same seeded start; f32 reductions in another order on the GPU.
    assert!(
        (a - b).abs() < 1e-2 * b.abs().max(1.0),
        "wgpu {a} vs flex {b}"
    );
    println!("gradient fit on wgpu: final loss {a} (flex {b})");
}
