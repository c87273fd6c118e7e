//! A backtest's fills and round trips as columns: one typed array per field instead of one JS
//! object per row (17k trades as objects cost more to cross than the 8-year backtest itself).
//! Enum fields cross as codes into a name table built from the enums' own serde names, so TS
//! rebuilds the rows (`ts/src/sim.ts`) without knowing any variant.
use napi::bindgen_prelude::{Float64Array, Uint8Array};
use napi_derive::napi;
use tradelab_sim::{RoundTrip, Trade};

/// `Trade` fields as columns; `side` and `reason` index `sideNames` / `reasonNames`.
#[napi(object, object_from_js = false)]
pub struct TradeColumns {
    pub ts: Float64Array,
    pub bar: Float64Array,
    pub side: Uint8Array,
    pub price: Float64Array,
    pub qty: Float64Array,
    pub fee: Float64Array,
    pub cash_delta: Float64Array,
    pub reason: Uint8Array,
    pub side_names: Vec<String>,
    pub reason_names: Vec<String>,
}

/// `RoundTrip` fields as columns; NaN where the row's field is null (a trip still open).
#[napi(object, object_from_js = false)]
pub struct TripColumns {
    pub entry_ts: Float64Array,
    pub entry_bar: Float64Array,
    pub exit_ts: Float64Array,
    pub exit_bar: Float64Array,
    pub entry_price: Float64Array,
    pub exit_price: Float64Array,
    pub qty: Float64Array,
    pub fees: Float64Array,
    pub pnl: Float64Array,
    pub ret: Float64Array,
    pub fills: Float64Array,
}

/// A trade list as columns (built on the worker thread, off the event loop).
pub fn trade_columns(t: &[Trade]) -> TradeColumns {
    let f = |g: fn(&Trade) -> f64| Float64Array::new(t.iter().map(g).collect());
    let (mut sides, mut reasons) = (Codes::new(), Codes::new());
    let side = t.iter().map(|x| sides.code(x.side)).collect();
    let reason = t.iter().map(|x| reasons.code(x.reason)).collect();
    TradeColumns {
        ts: f(|x| x.ts as f64),
        bar: f(|x| x.bar as f64),
        side: Uint8Array::new(side),
        price: f(|x| x.price),
        qty: f(|x| x.qty),
        fee: f(|x| x.fee),
        cash_delta: f(|x| x.cash_delta),
        reason: Uint8Array::new(reason),
        side_names: sides.names,
        reason_names: reasons.names,
    }
}

/// Round trips as columns (built on the worker thread, off the event loop).
pub fn trip_columns(t: &[RoundTrip]) -> TripColumns {
    let f = |g: fn(&RoundTrip) -> f64| Float64Array::new(t.iter().map(g).collect());
    TripColumns {
        entry_ts: f(|x| x.entry_ts as f64),
        entry_bar: f(|x| x.entry_bar as f64),
        exit_ts: f(|x| x.exit_ts.map_or(f64::NAN, |v| v as f64)),
        exit_bar: f(|x| x.exit_bar.map_or(f64::NAN, |v| v as f64)),
        entry_price: f(|x| x.entry_price),
        exit_price: f(|x| x.exit_price.unwrap_or(f64::NAN)),
        qty: f(|x| x.qty),
        fees: f(|x| x.fees),
        pnl: f(|x| x.pnl.unwrap_or(f64::NAN)),
        ret: f(|x| x.ret.unwrap_or(f64::NAN)),
        fills: f(|x| x.fills as f64),
    }
}

/// Codes for an enum column: each distinct value's index in its serde-name table.
struct Codes<T> {
    seen: Vec<T>,
    names: Vec<String>,
}

impl<T: Copy + PartialEq + serde::Serialize> Codes<T> {
    fn new() -> Self {
        Codes {
            seen: Vec::new(),
            names: Vec::new(),
        }
    }

    fn code(&mut self, v: T) -> u8 {
        if let Some(i) = self.seen.iter().position(|s| *s == v) {
            return i as u8;
        }
        self.names.push(match serde_json::to_value(v) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::from("?"),
        });
        self.seen.push(v);
        (self.seen.len() - 1) as u8
    }
}
