//! The duration values of the command line (`--timeout`, `who --watch`, `probe --timeout`):
//! clap value parsers, also used for the environment and the config file. Separate because
//! global, admin and probe options all use them.

/// The longest duration accepted (`--timeout`, `who --watch`): one year, in seconds.
/// Far above any real use; it keeps every duration finite and representable.
pub const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A number of seconds from 0 to [`MAX_SECONDS`] (clap value parser; also used for
/// the environment). The error is the reason; the caller names the value.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| "not a number of seconds".to_string())?;
    check_seconds(secs)
}

/// `secs` when it is a number from 0 to [`MAX_SECONDS`]; the error is the reason
/// (NaN, infinity, negative and huge values would panic in `Duration`).
pub fn check_seconds(secs: f64) -> Result<f64, String> {
    if secs.is_finite() && (0.0..=MAX_SECONDS).contains(&secs) {
        Ok(secs)
    } else {
        Err(format!(
            "must be a number of seconds from 0 to {MAX_SECONDS} (one year)"
        ))
    }
}

/// `who --watch`: seconds from 0.1 to [`MAX_SECONDS`].
pub fn parse_watch_seconds(text: &str) -> Result<f64, String> {
    let secs = parse_seconds(text)?;
    if secs < 0.1 {
        return Err("must be at least 0.1 seconds".into());
    }
    Ok(secs)
}
