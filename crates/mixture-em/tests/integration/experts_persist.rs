//! Saving and loading a fitted mixture of experts: exact round trips for every gate and prior
//! form in f32 and f64, files, and typed errors for bad documents.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    Error,
    tensor::{from_f64, to_vec_f64},
};
use mixture_em::experts::{GateKind, MixtureOfExperts, MixtureOfExpertsConfig, two_planes};
use mixture_experts::PriorType;

type N = burn_ndarray::NdArray<f64>;
type F = burn_flex::Flex;

fn planes<B: Backend>(dtype: DType) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let data = two_planes(120, 5.0, 3);
    let dev = Default::default();
    (
        from_f64(data.x, [120, 2], &dev, dtype),
        from_f64(data.y, [120, 1], &dev, dtype),
    )
}

/// Everything a user reads from the model, as host values.
fn outputs<B: Backend>(m: &MixtureOfExperts<B>, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Vec<f64> {
    let (pred, weights) = m.predict(x).unwrap();
    let (_, var) = m.predict_distribution(x).unwrap();
    let mut v = to_vec_f64(pred).unwrap();
    v.extend(to_vec_f64(weights).unwrap());
    v.extend(to_vec_f64(var).unwrap());
    v.extend(to_vec_f64(m.predict_proba(x, y).unwrap()).unwrap());
    v.extend(to_vec_f64(m.score_samples(x, y).unwrap()).unwrap());
    v.extend(to_vec_f64(m.coefficients()).unwrap());
    v.extend(to_vec_f64(m.noise_variance()).unwrap());
    v.extend(to_vec_f64(m.mean_gate_weights()).unwrap());
    v.extend(m.lower_bounds());
    v.push(m.n_iter() as f64);
    v.push(f64::from(u8::from(m.converged())));
    v
}

/// Fits, writes, reads back: the same outputs bit for bit, and the same document again.
fn round_trip<B: Backend>(config: MixtureOfExpertsConfig, dtype: DType) {
    let (x, y) = planes::<B>(dtype);
    let model = config.fit(&x, &y).unwrap();
    let json = model.to_json().unwrap();
    let back = MixtureOfExperts::<B>::from_json(&json, &Default::default()).unwrap();
    let what = format!(
        "{:?} gate, {:?} prior, {dtype:?}",
        config.gate, config.prior
    );
    assert_eq!(back.config(), model.config(), "{what}");
    assert_eq!(back.gate().kind(), config.gate, "{what}");
    assert_eq!(back.coefficients().dtype(), dtype, "{what}");
    let (a, b) = (outputs(&model, &x, &y), outputs(&back, &x, &y));
    assert_eq!(a.len(), b.len());
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        assert!(p.to_bits() == q.to_bits(), "{what}: output {i}: {p} vs {q}");
    }
    assert_eq!(back.to_json().unwrap(), json, "{what}");
}

#[test]
fn every_gate_and_prior_round_trips_exactly() {
    let quick = |gate| {
        MixtureOfExpertsConfig::new(2)
            .with_gate(gate)
            .with_max_iter(8)
    };
    round_trip::<F>(quick(GateKind::Dirichlet), DType::F32);
    round_trip::<N>(
        quick(GateKind::Dirichlet).with_prior(PriorType::Full),
        DType::F64,
    );
    round_trip::<F>(
        quick(GateKind::PerSample).with_prior(PriorType::Full),
        DType::F32,
    );
    round_trip::<N>(
        quick(GateKind::Constant).with_prior(PriorType::None),
        DType::F64,
    );
    round_trip::<F>(
        quick(GateKind::Constant).with_fixed_weights(vec![0.3, 0.7]),
        DType::F32,
    );
    let network = quick(GateKind::Softmax)
        .with_gate_hidden(1, 6)
        .with_gate_epochs(5)
        .with_max_iter(4);
    round_trip::<F>(network.clone(), DType::F32);
    // f64 data on flex: the network computes in f32, the experts in f64.
    round_trip::<F>(network, DType::F64);
}

/// A model file written before the softmax gate's settings were nested (2026-12-05 and
/// earlier: `gate_hidden_layers`, `gate_hidden_width`, `gate_activation`, `gate_epochs`,
/// `gate_batch_size`, `gate_learning_rate` at the top of the configuration) still loads, with
/// those settings, and predicts what the model did.
#[test]
fn a_model_file_with_the_flat_gate_settings_still_loads() {
    let (x, y) = planes::<F>(DType::F32);
    let model = MixtureOfExpertsConfig::new(2)
        .with_gate(GateKind::Softmax)
        .with_gate_hidden(1, 6)
        .with_gate_epochs(5)
        .with_gate_learning_rate(0.02)
        .with_max_iter(4)
        .fit(&x, &y)
        .unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
    let config = doc["config"].as_object_mut().unwrap();
    let gate = config
        .remove("softmax_gate")
        .expect("the nested settings are written");
    for (old, new) in [
        ("gate_hidden_layers", "hidden_layers"),
        ("gate_hidden_width", "hidden_width"),
        ("gate_activation", "activation"),
        ("gate_epochs", "epochs"),
        ("gate_batch_size", "batch_size"),
        ("gate_learning_rate", "learning_rate"),
    ] {
        config.insert(old.into(), gate[new].clone());
    }
    let old = MixtureOfExperts::<F>::from_json(&doc.to_string(), &Default::default()).unwrap();
    assert_eq!(old.config(), model.config());
    assert_eq!(old.config().softmax_gate.hidden_width, 6);
    assert_eq!(old.config().softmax_gate.learning_rate, 0.02);
    assert_eq!(outputs(&old, &x, &y), outputs(&model, &x, &y));
}

#[test]
fn save_and_load_through_a_file() {
    let (x, y) = planes::<F>(DType::F32);
    let model = MixtureOfExpertsConfig::new(2)
        .with_max_iter(8)
        .fit(&x, &y)
        .unwrap();
    let path = std::env::temp_dir().join(format!("mixture-moe-{}.json", std::process::id()));
    model.save(&path).unwrap();
    let back = MixtureOfExperts::<F>::load(&path, &Default::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(outputs(&back, &x, &y), outputs(&model, &x, &y));
    let missing = MixtureOfExperts::<F>::load(&path, &Default::default()).unwrap_err();
    assert!(
        matches!(&missing, Error::Io { action: "read", .. })
            && missing.to_string().contains("cannot read"),
        "{missing}"
    );
}

#[test]
fn bad_documents_are_model_file_errors() {
    let (x, y) = planes::<N>(DType::F64);
    let model = MixtureOfExpertsConfig::new(2)
        .with_prior(PriorType::Full)
        .with_max_iter(5)
        .fit(&x, &y)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
    let dev = Default::default();
    let load = |v: &serde_json::Value| {
        MixtureOfExperts::<N>::from_json(&v.to_string(), &dev)
            .map(|_| ())
            .unwrap_err()
    };
    let tamper = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = json.clone();
        f(&mut v);
        load(&v)
    };
    let cases: Vec<(Error, &str)> = vec![
        (
            MixtureOfExperts::<N>::from_json("{ not json", &dev)
                .map(|_| ())
                .unwrap_err(),
            "",
        ),
        (
            MixtureOfExperts::<N>::from_json(
                &serde_json::to_string(&serde_json::json!({"format": "x"})).unwrap(),
                &dev,
            )
            .map(|_| ())
            .unwrap_err(),
            "",
        ),
        (
            tamper(&|v| v["format"] = "mixture.gaussian-mixture".into()),
            "format",
        ),
        (tamper(&|v| v["dtype"] = "f8".into()), "dtype"),
        (
            tamper(&|v| {
                v["experts"]["mean"].as_array_mut().unwrap().pop();
            }),
            "sizes",
        ),
        (
            tamper(&|v| {
                v["experts"]["covariance"][0] = (-1.0).into();
            }),
            "positive definite",
        ),
        (tamper(&|v| v["config"]["gate"] = "constant".into()), "gate"),
        (
            tamper(&|v| {
                v["gate"]["concentration"][0] = (-2.0).into();
            }),
            "finite and > 0",
        ),
    ];
    for (err, needle) in cases {
        let text = err.to_string();
        assert!(text.contains(needle), "expected {needle:?} in {text}");
        assert!(matches!(err, Error::ModelFile { .. }), "{err:?}");
    }
}

#[test]
fn one_envelope_names_what_a_file_holds() {
    use mixture_em::GaussianMixtureConfig;
    use mixture_em::persist::{ModelKind, SavedDtype, peek};
    use std::error::Error as _;
    let (x, y) = planes::<N>(DType::F64);
    let dev = Default::default();
    let moe = MixtureOfExpertsConfig::new(2)
        .with_max_iter(3)
        .fit(&x, &y)
        .unwrap()
        .to_json()
        .unwrap();
    let gmm = GaussianMixtureConfig::new(2)
        .with_max_iter(3)
        .fit(&x)
        .unwrap()
        .to_json()
        .unwrap();
    // The header says what each file holds, with its dtype.
    let (h1, h2) = (peek(&moe).unwrap(), peek(&gmm).unwrap());
    assert_eq!(
        (h1.format, h1.dtype),
        (ModelKind::MixtureOfExperts, SavedDtype::F64)
    );
    assert_eq!((h2.format, h2.version), (ModelKind::GaussianMixture, 1));
    // Each reader refuses the other's file by name, as a model-file error.
    let err = mixture_em::GaussianMixture::<N>::from_json(&moe, &dev).unwrap_err();
    assert!(matches!(err, Error::ModelFile { .. }), "{err:?}");
    assert!(
        err.to_string().contains("mixture.mixture-of-experts"),
        "{err}"
    );
    let err = MixtureOfExperts::<N>::from_json(&gmm, &dev).unwrap_err();
    assert!(err.to_string().contains("a Gaussian mixture"), "{err}");
    // A newer format version is refused, not misread.
    let newer = gmm.replacen("\"version\": 1", "\"version\": 2", 1);
    let err = mixture_em::GaussianMixture::<N>::from_json(&newer, &dev).unwrap_err();
    assert!(err.to_string().contains("version 2"), "{err}");
    // Errors keep their sources: the parser's for bad JSON, the OS's for a missing file.
    let err = MixtureOfExperts::<N>::from_json("{ not json", &dev).unwrap_err();
    assert!(err.source().is_some(), "{err:?}");
    let err = MixtureOfExperts::<N>::load("/nonexistent/model.json", &dev).unwrap_err();
    let io = err
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
}
