//! `session_mask` is `is_open` element by element (and the other per-bar answers agree with it).
use proptest::prelude::*;
use tradelab_calendar::Calendar;

const H: i64 = 3_600_000;
/// 1995-01-01 .. 2035-01-01 UTC.
const FROM: i64 = 788_918_400_000;
const TO: i64 = 2_051_222_400_000;

fn calendars() -> impl Strategy<Value = Calendar> {
    prop_oneof![
        Just(Calendar::Always),
        Just(Calendar::NYSE),
        Just(Calendar::Nyse { extended: true })
    ]
}

fn intervals() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(60_000),
        Just(300_000),
        Just(900_000),
        Just(H / 2),
        Just(H),
        Just(4 * H),
        Just(24 * H),
        1i64..=3 * H
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn session_mask_equals_is_open(cal in calendars(), iv in intervals(), start in FROM..TO, n in 0usize..600, aligned in any::<bool>()) {
        let t0 = if aligned { start - start.rem_euclid(iv) } else { start };
        let ts: Vec<i64> = (0..n as i64).map(|i| t0 + i * iv).collect();
        let mask = cal.session_mask(&ts, iv);
        let last = cal.session_last_mask(&ts, iv);
        prop_assert_eq!(mask.len(), ts.len());
        for (i, &t) in ts.iter().enumerate() {
            prop_assert_eq!(mask[i], cal.is_open(t, iv), "bar {} at {}", i, t);
            prop_assert_eq!(last[i], cal.is_session_last_bar(t, iv));
            // A session's last bar is in session, and the bar session agrees with is_open.
            prop_assert!(!last[i] || mask[i]);
            prop_assert_eq!(cal.bar_session(t, iv).is_some(), mask[i]);
        }
    }

    #[test]
    fn unsorted_and_irregular_timestamps(cal in calendars(), ts in proptest::collection::vec(FROM..TO, 0..300)) {
        let mask = cal.session_mask(&ts, H);
        for (i, &t) in ts.iter().enumerate() {
            prop_assert_eq!(mask[i], cal.is_open(t, H));
        }
    }

    #[test]
    fn regular_hours_are_inside_extended_hours(t in FROM..TO, iv in intervals()) {
        let extended = Calendar::Nyse { extended: true };
        if Calendar::NYSE.is_open(t, iv) {
            prop_assert!(extended.is_open(t, iv));
        }
    }
}
