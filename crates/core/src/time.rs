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

/// First supported bar time: 1970-01-01T00:00:00Z (epoch 0). Earlier times are refused on import.
pub const MIN_SUPPORTED_MS: i64 = 0;
/// End of the supported range (exclusive): 2100-01-01T00:00:00Z.
pub const MAX_SUPPORTED_MS: i64 = 4_102_444_800_000;

/// The supported range as text, for error messages.
pub const SUPPORTED_RANGE: &str = "1970-01-01T00:00:00Z .. 2100-01-01T00:00:00Z (exclusive)";

/// True when `ms` lies in the supported range [1970-01-01, 2100-01-01).
pub fn in_supported_range(ms: i64) -> bool {
    (MIN_SUPPORTED_MS..MAX_SUPPORTED_MS).contains(&ms)
}

/// Converts a numeric epoch of unknown unit to milliseconds by its magnitude.
/// Seconds < 1e11 (year 5138), ms < 1e14, µs < 1e17, else ns. Binance Vision switched spot files
/// from ms to µs in 2025, so the unit is decided per value, not per file.
///
/// Only for importing text and foreign files: the store's own files hold int64 ms and are read
/// as they are. Epoch ms before 1973-03-03 (< 1e11) are read as seconds, land after 2100 and are
/// then refused by the range check, never silently moved: write such dates as ISO-8601.
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

/// An epoch cell of unknown unit → ms, refusing negative epochs and results outside the
/// supported range with the unit that was assumed.
fn epoch_checked(v: i64, raw: &str) -> Result<i64, CoreError> {
    let shown: String = crate::cap_text(raw.trim(), 40);
    if v < 0 {
        return Err(CoreError::OutOfRange(format!(
            "negative epoch '{shown}' is before 1970-01-01; supported: {SUPPORTED_RANGE}"
        )));
    }
    let ms = epoch_to_ms(v);
    if !in_supported_range(ms) {
        let unit = match v.unsigned_abs() {
            a if a < 100_000_000_000 => "seconds",
            a if a < 100_000_000_000_000 => "milliseconds",
            a if a < 100_000_000_000_000_000 => "microseconds",
            _ => "nanoseconds",
        };
        return Err(CoreError::OutOfRange(format!(
            "epoch '{shown}' read as {unit} is {}, outside the supported range {SUPPORTED_RANGE} (epoch ms before 1973-03-03 look like seconds: write such dates as ISO-8601)",
            format_ms(ms)
        )));
    }
    Ok(ms)
}

/// Parses a timestamp cell: an integer/float epoch (any unit) or an ISO-8601 string.
/// Strings without an offset are taken as UTC.
pub fn parse_timestamp(s: &str) -> Result<i64, CoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CoreError::BadTimestamp(s.to_string()));
    }
    if let Ok(v) = t.parse::<i64>() {
        return epoch_checked(v, s);
    }
    if t.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'+')
    {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18 {
                return epoch_checked(f as i64, s);
            }
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M%:z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Ok(dt.timestamp_millis());
        }
    }
    let naive = t.trim_end_matches(" UTC").trim_end_matches('Z');
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Ok(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc().timestamp_millis());
        }
    }
    Err(CoreError::BadTimestamp(crate::cap_text(s, 80)))
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

    #[test]
    fn supported_range_is_enforced_on_epochs() {
        // Negative epochs (1969) and year 5138 are refused, naming the range.
        for bad in ["-36000000", "-3600000", "99999997200000", "31536000000"] {
            let e = parse_timestamp(bad).unwrap_err().to_string();
            assert!(
                e.contains("1970-01-01") && e.contains("2100-01-01"),
                "{bad}: {e}"
            );
        }
        assert_eq!(parse_timestamp("0").unwrap(), 0);
        assert_eq!(
            parse_timestamp("1971-01-01T00:00:00Z").unwrap(),
            31_536_000_000
        );
        assert!(
            in_supported_range(MAX_SUPPORTED_MS - 1)
                && !in_supported_range(MAX_SUPPORTED_MS)
                && !in_supported_range(-1)
        );
    }

    #[test]
    fn long_bad_text_is_capped() {
        let long = "1".repeat(1_000_000);
        let e = parse_timestamp(&long).unwrap_err().to_string();
        assert!(e.len() < 400, "{} bytes", e.len());
    }
}
