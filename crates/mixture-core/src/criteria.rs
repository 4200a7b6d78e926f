//! Information criteria of a fitted density: one definition for every model and the CLI.
//!
//! Both are in scikit-learn's sign (lower is better) and take the **total** log-likelihood
//! of the data, `Σ_n log p(x_n)` (the mean log-likelihood times the number of rows).

/// Bayesian information criterion, `−2 log L + p ln N`.
///
/// ```
/// let bic = mixture_core::criteria::bic(-100.0, 5, 50.0);
/// assert!((bic - (200.0 + 5.0 * 50f64.ln())).abs() < 1e-12);
/// ```
pub fn bic(total_log_likelihood: f64, n_parameters: usize, n_samples: f64) -> f64 {
    -2.0 * total_log_likelihood + n_parameters as f64 * n_samples.ln()
}

/// Akaike information criterion, `−2 log L + 2p`.
///
/// ```
/// assert_eq!(mixture_core::criteria::aic(-100.0, 5), 210.0);
/// ```
pub fn aic(total_log_likelihood: f64, n_parameters: usize) -> f64 {
    -2.0 * total_log_likelihood + 2.0 * n_parameters as f64
}

/// Integrated completed likelihood (mclust's ICL, in the sign of [`bic`]: lower is better):
/// BIC plus twice the entropy `−Σ_i Σ_k r_ik ln r_ik` of the responsibilities, so that models
/// whose components overlap (uncertain assignments) pay for it.
///
/// ```
/// // Certain assignments (entropy 0) leave the BIC as it is.
/// assert_eq!(mixture_core::criteria::icl(210.0, 0.0), 210.0);
/// assert_eq!(mixture_core::criteria::icl(210.0, 1.5), 213.0);
/// ```
pub fn icl(bic: f64, entropy: f64) -> f64 {
    bic + 2.0 * entropy
}
