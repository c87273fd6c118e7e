//! Grid sweeps on the lockstep kernel over stored bars: the rows, the table written as Parquet,
//! and the best row chosen here once (TS never re-derives a row's label).
use crate::error::Result;
use crate::load::{self, Window};
use crate::single::window_params;
use serde::Serialize;
use tradelab_calendar::Calendar;
use tradelab_data::Table;
use tradelab_sim::{run_sweep, SimLabel, SimParams, SweepRow, SweepSpec};

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct BestRow {
    #[ts(type = "number")]
    pub index: u64,
    /// The best row's own assumptions (its lag, fill and fees: the grid may vary them).
    pub label: SimLabel,
    /// How it was chosen, e.g. "best of 24 by Sortino (optimistic rows excluded), in-sample".
    pub selection: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub rows: Vec<SweepRow>,
    pub skipped: Vec<String>,
    #[ts(type = "number")]
    pub bar_evaluations: u64,
    pub seconds: f64,
    #[ts(type = "number")]
    pub threads: u64,
    #[ts(type = "number")]
    pub bars: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    pub base_label: SimLabel,
    pub periods: String,
    pub best: Option<BestRow>,
    /// `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
    pub data_hash: String,
    /// The named split run on, if any (`test (burned)` when the test lock saw it before).
    pub split: Option<crate::load::SplitInfo>,
}

/// What ranking a row needs.
pub struct Ranked<'a> {
    pub index: u64,
    pub optimistic: bool,
    pub sortino: f64,
    pub params: &'a SimParams,
}

/// The row with the highest Sortino among rows without optimistic assumptions (lag 0, intrabar
/// cycles); ties keep the first. None when every row is optimistic.
pub fn best_of(rows: &[Ranked<'_>]) -> Option<BestRow> {
    let honest = rows.iter().filter(|r| !r.optimistic && !r.sortino.is_nan());
    let best = honest.fold(None::<&Ranked<'_>>, |b, r| match b {
        Some(b) if b.sortino >= r.sortino => Some(b),
        _ => Some(r),
    })?;
    let excluded = rows.iter().filter(|r| r.optimistic).count();
    Some(BestRow {
        index: best.index,
        label: best.params.describe(),
        selection: format!(
            "best of {} by Sortino{}, selected on this window (in-sample)",
            rows.len() - excluded,
            if excluded > 0 {
                format!(" ({excluded} optimistic rows excluded)")
            } else {
                String::new()
            }
        ),
    })
}

/// `best_of` over a kernel sweep's rows.
pub fn best_row(rows: &[SweepRow]) -> Option<BestRow> {
    let keyed: Vec<Ranked<'_>> = rows
        .iter()
        .map(|r| Ranked {
            index: r.index as u64,
            optimistic: r.optimistic,
            sortino: r.metrics.curve.sortino,
            params: &r.params,
        })
        .collect();
    best_of(&keyed)
}

/// Runs `spec` on one symbol's stored bars; `out` also writes the row table as Parquet (atomic).
pub fn run(
    window: &Window,
    symbol: &str,
    spec_json: &str,
    out: Option<&str>,
    progress: Option<tradelab_sim::Progress<'_>>,
) -> Result<(SweepReport, Vec<u8>)> {
    let (resolved, split) = window.resolve(&[symbol], "sweep")?;
    let window = &resolved;
    let (sym, bars) = load::bars(window, symbol)?;
    let iv = window.interval()?;
    let mut spec = SweepSpec::from_json(spec_json)?;
    let (base, periods) = window_params(&spec.base, Calendar::for_symbol(&sym)?, iv.ms())?;
    spec.base = base;
    let started = std::time::Instant::now();
    let r = run_sweep(&bars, &spec, progress)?;
    let seconds = started.elapsed().as_secs_f64();
    let json_rows: Vec<serde_json::Value> = r
        .rows
        .iter()
        .map(|row| serde_json::to_value(row).unwrap_or_default())
        .collect();
    let mut table = Table::from_json_rows(&json_rows);
    let label = spec.base.describe();
    table
        .metadata
        .insert("tradelab.symbol".into(), sym.to_string());
    table
        .metadata
        .insert("tradelab.interval".into(), iv.to_string());
    table
        .metadata
        .insert("tradelab.base_label".into(), label.text.clone());
    table.metadata.insert(
        "tradelab.window".into(),
        format!("{}..{}", bars.ts[0], bars.ts[bars.len() - 1]),
    );
    if let Some(out) = out {
        table.write_parquet(std::path::Path::new(out))?;
    }
    let ipc = table
        .to_ipc_stream()
        .map_err(|e| crate::BacktestError::input("sweep table", e.to_string()))?;
    let report = SweepReport {
        best: best_row(&r.rows),
        rows: r.rows,
        skipped: r.skipped,
        bar_evaluations: r.bar_evaluations,
        seconds,
        threads: std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(1),
        bars: bars.len() as u64,
        first: bars.ts[0],
        last: bars.ts[bars.len() - 1],
        base_label: label,
        periods,
        data_hash: crate::load::data_hash(window, [&sym])?,
        split,
    };
    Ok((report, ipc))
}
