//! Grid sweeps on the lockstep kernel over stored bars: the rows, the table written as Parquet,
//! and the best row chosen here once (TS never re-derives a row's label).
use crate::error::Result;
use crate::load::{self, Window};
use crate::overfit::BlockStats;
use crate::single::window_params;
use serde::Serialize;
use tradelab_calendar::Calendar;
use tradelab_data::Table;
use tradelab_sim::{run_sweep, run_sweep_rows, SimLabel, SimParams, SweepRow, SweepSpec};

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
    /// Deflated Sharpe and PBO of the best row among the N honest trials.
    pub overfit: Option<Overfit>,
}

/// Rows re-simulated for PBO at most (each needs its per-bar returns); larger sweeps report the
/// deflated Sharpe only.
pub const PBO_MAX_ROWS: usize = 4000;
/// CSCV blocks: C(16, 8) = 12,870 splits.
pub const PBO_BLOCKS: usize = tradelab_sim::RETURN_BLOCKS;

/// What a sweep's best row owes to the number of rows tried (see [`crate::overfit`]).
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Overfit {
    pub deflated: crate::overfit::DeflatedSharpe,
    pub pbo: Option<crate::overfit::Pbo>,
    /// One line for tables, e.g. `deflated Sharpe 0.62 of best of 24 (< 0.95: not significant) · PBO 0.41 (CSCV 16 blocks)`.
    pub text: String,
}

/// Deflated Sharpe of the best row over the honest rows (the trials it was chosen from), and PBO
/// by CSCV when there are at most [`PBO_MAX_ROWS`] of them. `sim` re-simulates one row on the
/// reference engine and returns its equity curve and start equity.
pub fn overfit_of(
    honest: &[(u64, f64)],
    best_index: u64,
    periods_per_year: f64,
    sim: &(dyn Fn(u64) -> Result<(f64, Vec<f64>)> + Sync),
) -> Result<Option<Overfit>> {
    overfit_with_blocks(honest, best_index, periods_per_year, sim, None)
}

/// As [`overfit_of`]; `given(i)` gives row i's return blocks when the caller has them (a
/// kernel sweep does), so PBO re-simulates nothing. Only the best row is re-simulated (its
/// return moments for the deflated Sharpe).
pub fn overfit_with_blocks<'b>(
    honest: &[(u64, f64)],
    best_index: u64,
    periods_per_year: f64,
    sim: &(dyn Fn(u64) -> Result<(f64, Vec<f64>)> + Sync),
    given: Option<&(dyn Fn(u64) -> Option<&'b BlockStats> + Sync)>,
) -> Result<Option<Overfit>> {
    use crate::overfit::{deflated_sharpe, moments, pbo_cscv, returns};
    use rayon::prelude::*;
    if honest.len() < 2 {
        return Ok(None);
    }
    let root = periods_per_year.sqrt();
    let sharpes: Vec<f64> = honest.iter().map(|&(_, s)| s / root).collect();
    let best_sr = honest
        .iter()
        .find(|&&(i, _)| i == best_index)
        .map_or(f64::NAN, |&(_, s)| s / root);
    let (start, eq) = sim(best_index)?;
    let r = returns(start, &eq);
    let (_, skew, kurt) = moments(&r);
    let deflated = deflated_sharpe(best_sr, &sharpes, r.len(), skew, kurt);
    let pbo = if honest.len() <= PBO_MAX_ROWS && r.len() >= 4 * PBO_BLOCKS {
        let blocks: Vec<BlockStats> = honest
            .par_iter()
            .map(|&(i, _)| {
                if let Some(b) = given.and_then(|f| f(i)) {
                    return Ok(b.clone());
                }
                let (start, eq) = sim(i)?;
                Ok(BlockStats::of(&returns(start, &eq), PBO_BLOCKS))
            })
            .collect::<Result<_>>()?;
        pbo_cscv(&blocks)
    } else {
        None
    };
    let verdict = if deflated.dsr >= 0.95 {
        "significant at 95 %"
    } else {
        "< 0.95: not significant"
    };
    let mut text = format!(
        "deflated Sharpe {:.2} for the best of {} ({verdict})",
        deflated.dsr, deflated.trials
    );
    match &pbo {
        Some(p) => text.push_str(&format!(
            " · PBO {:.2} (CSCV, {} blocks, {} splits)",
            p.pbo, p.blocks, p.splits
        )),
        None => text.push_str(&format!(
            " · PBO not computed ({} rows; at most {PBO_MAX_ROWS} and {} bars needed)",
            honest.len(),
            4 * PBO_BLOCKS
        )),
    }
    Ok(Some(Overfit {
        deflated,
        pbo,
        text,
    }))
}

/// [`overfit_of`] for a kernel sweep's rows on `bars`.
pub fn sweep_overfit(
    bars: &tradelab_core::Bars,
    rows: &[SweepRow],
    blocks: &[BlockStats],
    best: Option<&BestRow>,
    periods_per_year: f64,
) -> Result<Option<Overfit>> {
    let Some(best) = best else { return Ok(None) };
    let honest: Vec<(u64, f64)> = rows
        .iter()
        .filter(|r| !r.optimistic && !r.metrics.curve.sortino.is_nan())
        .map(|r| (r.index as u64, r.metrics.curve.sharpe))
        .collect();
    let by_index: std::collections::HashMap<u64, &SweepRow> =
        rows.iter().map(|r| (r.index as u64, r)).collect();
    let sim = |i: u64| -> Result<(f64, Vec<f64>)> {
        let row = by_index
            .get(&i)
            .ok_or_else(|| crate::BacktestError::input("sweep", format!("no row {i}")))?;
        let acts = row.strategy.actions(bars)?;
        let r = tradelab_sim::simulate(bars, &acts, &row.params)?;
        Ok((r.metrics.curve.start_equity, r.equity))
    };
    // The kernel's block sums, by row index (absent: re-simulated).
    let by_row: std::collections::HashMap<u64, &BlockStats> = rows
        .iter()
        .zip(blocks)
        .filter(|(_, b)| b.n.len() == PBO_BLOCKS)
        .map(|(r, b)| (r.index as u64, b))
        .collect();
    let kernel_blocks = |i: u64| by_row.get(&i).copied();
    overfit_with_blocks(
        &honest,
        best.index,
        periods_per_year,
        &sim,
        Some(&kernel_blocks),
    )
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

/// A sweep's inputs, resolved once: the window (a named split turned into from/to), the bars
/// and the spec with its base parameters fitted to the symbol's calendar and interval.
struct Prepared {
    window: Window,
    split: Option<crate::load::SplitInfo>,
    sym: tradelab_core::Symbol,
    bars: tradelab_core::Bars,
    interval: tradelab_core::Interval,
    spec: SweepSpec,
    periods: String,
}

fn prepare(window: &Window, symbol: &str, spec_json: &str) -> Result<Prepared> {
    let (resolved, split) = window.resolve(&[symbol], "sweep")?;
    let (sym, bars) = load::bars(&resolved, symbol)?;
    let iv = resolved.interval()?;
    let mut spec = SweepSpec::from_json(spec_json)?;
    let (base, periods) = window_params(&spec.base, Calendar::for_symbol(&sym)?, iv.ms())?;
    spec.base = base;
    Ok(Prepared {
        window: resolved,
        split,
        sym,
        bars,
        interval: iv,
        spec,
        periods,
    })
}

/// Runs `spec` on one symbol's stored bars; `out` also writes the row table as Parquet (atomic).
pub fn run(
    window: &Window,
    symbol: &str,
    spec_json: &str,
    out: Option<&str>,
    progress: Option<tradelab_sim::Progress<'_>>,
) -> Result<(SweepReport, Vec<u8>)> {
    let p = prepare(window, symbol, spec_json)?;
    let started = std::time::Instant::now();
    let r = run_sweep(&p.bars, &p.spec, progress)?;
    let seconds = started.elapsed().as_secs_f64();
    report(p, r, seconds, out)
}

/// The report of a sweep's rows (run here, or merged from a distributed sweep's chunks): the
/// row table, the best row and its overfit figures, chosen once, here.
fn report(
    p: Prepared,
    r: tradelab_sim::SweepResult,
    seconds: f64,
    out: Option<&str>,
) -> Result<(SweepReport, Vec<u8>)> {
    let Prepared {
        window,
        split,
        sym,
        bars,
        interval: iv,
        spec,
        periods,
    } = p;
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
    let best = best_row(&r.rows);
    let overfit = sweep_overfit(
        &bars,
        &r.rows,
        &r.blocks,
        best.as_ref(),
        spec.base.periods_per_year(),
    )?;
    let report = SweepReport {
        best,
        overfit,
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
        data_hash: crate::load::data_hash(&window, [&sym])?,
        split,
    };
    Ok((report, ipc))
}

/// How a distributed sweep is cut: `count` chunks of consecutive rows.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepPlan {
    /// Parameter sets in the whole sweep.
    #[ts(type = "number")]
    pub total: u64,
    /// `[start, end)` row ranges, one per chunk (empty ones dropped).
    #[ts(type = "Array<[number, number]>")]
    pub chunks: Vec<(u64, u64)>,
    #[ts(type = "number")]
    pub bars: u64,
    /// `sha256:…` over the bars the sweep reads: a chunk computed on other bars is refused.
    pub data_hash: String,
}

/// One chunk's result as it travels from a worker to the coordinator: CBOR, because its rows'
/// metrics may be NaN (JSON has none) and the merged report must be the local one bit for bit.
#[derive(serde::Serialize, serde::Deserialize)]
struct ChunkResult {
    start: usize,
    end: usize,
    total: usize,
    data_hash: String,
    rows: Vec<SweepRow>,
    blocks: Vec<tradelab_sim::ReturnBlocks>,
    skipped: Vec<String>,
    bar_evaluations: u64,
    seconds: f64,
}

/// A distributed sweep runs where the test lock cannot be claimed once: named test splits are
/// refused (look at the test window with a local sweep).
fn refuse_test(window: &Window) -> Result<()> {
    if window.split == Some(tradelab_core::splits::Split::Test) {
        return Err(crate::BacktestError::input(
            "split",
            "a distributed sweep (--redis) does not run on the locked test split: each chunk would be a look; run it locally, once",
        ));
    }
    Ok(())
}

/// Validates the sweep (window, bars, spec) and cuts it into `count` chunks; nothing runs.
pub fn plan(window: &Window, symbol: &str, spec_json: &str, count: usize) -> Result<SweepPlan> {
    refuse_test(window)?;
    let p = prepare(window, symbol, spec_json)?;
    let total = p.spec.count()?;
    let count = count.clamp(1, total.max(1));
    let chunks = (0..count)
        .map(|i| tradelab_sim::sweep_chunk_range(total, i, count))
        .filter(|r| !r.is_empty())
        .map(|r| (r.start as u64, r.end as u64))
        .collect();
    Ok(SweepPlan {
        total: total as u64,
        chunks,
        bars: p.bars.len() as u64,
        data_hash: crate::load::data_hash(&p.window, [&p.sym])?,
    })
}

/// Runs rows `[start, end)` of the sweep (a worker's job) and returns them encoded for
/// [`run_merged`].
pub fn run_chunk(
    window: &Window,
    symbol: &str,
    spec_json: &str,
    start: usize,
    end: usize,
    progress: Option<tradelab_sim::Progress<'_>>,
) -> Result<Vec<u8>> {
    refuse_test(window)?;
    let p = prepare(window, symbol, spec_json)?;
    let started = std::time::Instant::now();
    let r = run_sweep_rows(&p.bars, &p.spec, Some(start..end), progress)?;
    let c = ChunkResult {
        start,
        end,
        total: p.spec.count()?,
        data_hash: crate::load::data_hash(&p.window, [&p.sym])?,
        rows: r.rows,
        blocks: r.blocks,
        skipped: r.skipped,
        bar_evaluations: r.bar_evaluations,
        seconds: started.elapsed().as_secs_f64(),
    };
    let mut buf = Vec::new();
    ciborium::into_writer(&c, &mut buf)
        .map_err(|e| crate::BacktestError::input("sweep chunk", e.to_string()))?;
    Ok(buf)
}

/// The report of a distributed sweep from its chunks' results (any order): they must cover the
/// rows exactly once, on the same bars; the best row and overfit figures are chosen here, as in
/// [`run`], so the report equals a local sweep's (`seconds`: the chunks' compute time summed).
pub fn run_merged(
    window: &Window,
    symbol: &str,
    spec_json: &str,
    chunks: &[Vec<u8>],
    out: Option<&str>,
) -> Result<(SweepReport, Vec<u8>)> {
    refuse_test(window)?;
    let p = prepare(window, symbol, spec_json)?;
    let total = p.spec.count()?;
    let data_hash = crate::load::data_hash(&p.window, [&p.sym])?;
    let bad = |m: String| crate::BacktestError::input("sweep chunks", m);
    let mut parts: Vec<ChunkResult> = chunks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            ciborium::from_reader(b.as_slice())
                .map_err(|e| bad(format!("chunk {i} is not a sweep chunk result: {e}")))
        })
        .collect::<Result<_>>()?;
    parts.sort_by_key(|c| c.start);
    let mut next = 0;
    for c in &parts {
        if c.total != total || c.data_hash != data_hash {
            return Err(bad(format!(
                "chunk {}..{} was computed on another sweep or other bars ({} sets, {}; here {total}, {data_hash})",
                c.start, c.end, c.total, c.data_hash
            )));
        }
        if c.start != next || c.rows.len() != c.end - c.start || c.blocks.len() != c.rows.len() {
            return Err(bad(format!(
                "chunks do not cover rows 0..{total} exactly once (at row {next}: a chunk {}..{} with {} rows)",
                c.start,
                c.end,
                c.rows.len()
            )));
        }
        next = c.end;
    }
    if next != total {
        return Err(bad(format!("chunks cover rows 0..{next} of 0..{total}")));
    }
    let seconds = parts.iter().map(|c| c.seconds).sum();
    let skipped = parts.first().map(|c| c.skipped.clone()).unwrap_or_default();
    let mut r = tradelab_sim::SweepResult {
        rows: Vec::with_capacity(total),
        skipped,
        bar_evaluations: 0,
        blocks: Vec::with_capacity(total),
    };
    for c in parts {
        r.rows.extend(c.rows);
        r.blocks.extend(c.blocks);
        r.bar_evaluations += c.bar_evaluations;
    }
    report(p, r, seconds, out)
}
