//! UTC millisecond timestamps: formatting and parsing of the many forms found in bar files.
use crate::CoreError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Formats epoch milliseconds as `2018-01-01T00:00:00Z`.
pub fn format_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => format!("<invalid ms {ms}>"),
    }
}

/// Converts a numeric epoch of unknown unit to milliseconds by its magnitude.
/// Seconds < 1e11 (year 5138), ms < 1e14, µs < 1e17, else ns. Binance Vision switched spot files
/// from ms to µs in 2025, so the unit is decided per value, not per file.
pub fn epoch_to_ms(v: i64) -> i64 {
    let a = v.unsigned_abs();
    if a < 100_000_000_000 {
        v * 1000
    } else if a < 100_000_000_000_000 {
        v
    } else if a < 100_000_000_000_000_000 {
        v.div_euclid(1000)
    } else {
        v.div_euclid(1_000_000)
    }
}

/// Parses a timestamp cell: an integer/float epoch (any unit) or an ISO-8601 string.
/// Strings without an offset are taken as UTC.
pub fn parse_timestamp(s: &str) -> Result<i64, CoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CoreError::BadTimestamp(s.to_string()));
    }
    if let Ok(v) = t.parse::<i64>() {
        return Ok(epoch_to_ms(v));
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'+') {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18 {
                return Ok(epoch_to_ms(f as i64));
            }
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Ok(dt.timestamp_millis());
        }
    }
    let naive = t.trim_end_matches(" UTC").trim_end_matches('Z');
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Ok(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc().timestamp_millis());
        }
    }
    Err(CoreError::BadTimestamp(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

    #[test]
    fn epochs_of_every_unit() {
        assert_eq!(parse_timestamp("1735689600").unwrap(), T);
        assert_eq!(parse_timestamp("1735689600000").unwrap(), T);
        assert_eq!(parse_timestamp("1735689600000000").unwrap(), T);
        assert_eq!(parse_timestamp("1735689600000000000").unwrap(), T);
        assert_eq!(parse_timestamp("1735689600000.0").unwrap(), T);
    }

    #[test]
    fn iso_strings() {
        assert_eq!(parse_timestamp("2025-01-01T00:00:00Z").unwrap(), T);
        assert_eq!(parse_timestamp("2025-01-01 00:00:00+00:00").unwrap(), T);
        assert_eq!(parse_timestamp("2025-01-01 02:00:00+02:00").unwrap(), T);
        assert_eq!(parse_timestamp("2025-01-01 00:00:00").unwrap(), T);
        assert_eq!(parse_timestamp("2025-01-01").unwrap(), T);
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(format_ms(T), "2025-01-01T00:00:00Z");
    }
}
