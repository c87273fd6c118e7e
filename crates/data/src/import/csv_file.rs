//! CSV bar files: headered (`timestamp|date|open_time|...`, any epoch unit or ISO strings) and
//! headerless Binance kline CSVs (REST dumps and Binance Vision archives, 12 columns, ms or µs).
use crate::arrow_bars::{QUOTE_VOLUME_NAMES, TRADES_NAMES, TS_NAMES};
use crate::{DataError, Progress};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use tradelab_core::time::{epoch_to_ms, format_ms, parse_timestamp};
use tradelab_core::{Bars, Interval};

/// How the columns of a CSV were recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvLayout {
    /// A header row names the columns.
    Header,
    /// No header, Binance kline order: open_time, o, h, l, c, v, close_time, quote_volume, count, ...
    BinanceKlines,
    /// No header, `ts, open, high, low, close, volume`.
    PlainOhlcv,
}

impl CsvLayout {
    pub fn name(self) -> &'static str {
        match self {
            CsvLayout::Header => "csv",
            CsvLayout::BinanceKlines => "binance-klines",
            CsvLayout::PlainOhlcv => "csv-ohlcv",
        }
    }
}

#[derive(Debug, Default)]
struct Columns {
    ts: usize,
    ohlcv: [usize; 5],
    trades: Option<usize>,
    vwap: Option<usize>,
    quote_volume: Option<usize>,
    close_time: Option<usize>,
}

/// Counts bytes read so a progress bar can follow a large file.
struct Counting<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

fn sniff_delimiter(file: &Path) -> Result<u8, DataError> {
    let mut f = File::open(file).map_err(|e| DataError::io(file, e))?;
    let mut head = vec![0u8; 4096];
    let n = f.read(&mut head).map_err(|e| DataError::io(file, e))?;
    let first = head[..n].split(|b| *b == b'\n').next().unwrap_or(&[]);
    let count = |d: u8| first.iter().filter(|b| **b == d).count();
    let (c, t, s) = (count(b','), count(b'\t'), count(b';'));
    Ok(if t > c && t >= s {
        b'\t'
    } else if s > c {
        b';'
    } else {
        b','
    })
}

fn header_columns(names: &[String], file: &Path) -> Result<Columns, DataError> {
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            continue;
        }
        if let Some(j) = names[i + 1..].iter().position(|m| m == n) {
            return Err(DataError::bad_file(
                file,
                format!(
                    "header names column `{}` twice (columns {} and {}); rename or drop one",
                    tradelab_core::cap_text(n, 40),
                    i + 1,
                    i + j + 2
                ),
            ));
        }
    }
    let find = |cands: &[&str]| cands.iter().find_map(|c| names.iter().position(|n| n == c));
    let ts = find(TS_NAMES).ok_or_else(|| {
        DataError::bad_file(
            file,
            format!(
                "header has no timestamp column (looked for {}); header is {}",
                TS_NAMES.join("|"),
                tradelab_core::cap_text(&format!("{names:?}"), 200)
            ),
        )
    })?;
    let mut ohlcv = [0usize; 5];
    for (k, name) in ["open", "high", "low", "close", "volume"]
        .iter()
        .enumerate()
    {
        ohlcv[k] = find(&[name]).ok_or_else(|| {
            DataError::bad_file(
                file,
                format!(
                    "header has no `{name}` column; header is {}",
                    tradelab_core::cap_text(&format!("{names:?}"), 200)
                ),
            )
        })?;
    }
    let vwap = find(&["vwap"]);
    Ok(Columns {
        ts,
        ohlcv,
        trades: find(TRADES_NAMES),
        quote_volume: if vwap.is_none() {
            find(QUOTE_VOLUME_NAMES)
        } else {
            None
        },
        vwap,
        close_time: find(&["close_time", "closetime"]),
    })
}

/// Reads a CSV of bars. Returns the bars in file order, the line number of each row and the layout.
pub fn read_csv(
    file: &Path,
    interval: Interval,
    progress: &Progress,
) -> Result<(Bars, Vec<u64>, CsvLayout), DataError> {
    let delim = sniff_delimiter(file)?;
    let f = File::open(file).map_err(|e| DataError::io(file, e))?;
    progress.set_total(f.metadata().map(|m| m.len()).unwrap_or(0));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delim)
        .from_reader(Counting {
            inner: BufReader::with_capacity(1 << 20, f),
            progress,
        });

    let mut records = rdr.records();
    let first = match records.next() {
        None => return Err(DataError::bad_file(file, "file is empty")),
        Some(r) => r.map_err(|e| DataError::bad_file(file, format!("unreadable CSV: {e}")))?,
    };
    let lower: Vec<String> = first
        .iter()
        .map(|s| s.trim_matches('"').to_ascii_lowercase())
        .collect();
    let looks_like_header = lower
        .iter()
        .any(|n| TS_NAMES.contains(&n.as_str()) || n == "open" || n == "close");

    let (layout, cols, pending) = if looks_like_header {
        (CsvLayout::Header, header_columns(&lower, file)?, None)
    } else {
        if first.len() < 6 {
            return Err(DataError::bad_file(
                file,
                format!("no header and only {} columns; expected at least ts,open,high,low,close,volume", first.len()),
            ));
        }
        let is_kline = first.len() >= 9 && first.get(6).is_some_and(|s| s.parse::<i64>().is_ok());
        let cols = Columns {
            ts: 0,
            ohlcv: [1, 2, 3, 4, 5],
            trades: is_kline.then_some(8),
            vwap: None,
            quote_volume: is_kline.then_some(7),
            close_time: is_kline.then_some(6),
        };
        (
            if is_kline {
                CsvLayout::BinanceKlines
            } else {
                CsvLayout::PlainOhlcv
            },
            cols,
            Some(first),
        )
    };

    let mut bars = Bars::with_capacity(1024);
    let mut trades: Option<Vec<i64>> = cols.trades.map(|_| Vec::new());
    let mut vwap: Option<Vec<f64>> =
        (cols.vwap.is_some() || cols.quote_volume.is_some()).then(Vec::new);
    let mut lines = Vec::with_capacity(1024);
    let mut checked_close_time = false;

    let mut handle = |rec: &csv::StringRecord, row: usize| -> Result<(), DataError> {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let err = |message: String| DataError::BadRow {
            file: file.to_path_buf(),
            row,
            line: Some(line),
            message,
        };
        let field = |idx: usize, name: &str| -> Result<&str, DataError> {
            rec.get(idx)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| err(format!("field `{name}`: missing value")))
        };
        let num = |idx: usize, name: &str| -> Result<f64, DataError> {
            let s = field(idx, name)?;
            s.parse::<f64>().map_err(|_| {
                err(format!(
                    "field `{name}`: cannot parse '{}' as a number",
                    tradelab_core::cap_text(s, 40)
                ))
            })
        };
        let ts =
            parse_timestamp(field(cols.ts, "ts")?).map_err(|e| err(format!("field `ts`: {e}")))?;
        bars.ts.push(ts);
        bars.open.push(num(cols.ohlcv[0], "open")?);
        bars.high.push(num(cols.ohlcv[1], "high")?);
        bars.low.push(num(cols.ohlcv[2], "low")?);
        bars.close.push(num(cols.ohlcv[3], "close")?);
        let vol = num(cols.ohlcv[4], "volume")?;
        bars.volume.push(vol);
        if let (Some(i), Some(t)) = (cols.trades, trades.as_mut()) {
            t.push(num(i, "trades")? as i64);
        }
        if let Some(v) = vwap.as_mut() {
            if let Some(i) = cols.vwap {
                v.push(num(i, "vwap")?);
            } else if let Some(i) = cols.quote_volume {
                let q = num(i, "quote_volume")?;
                v.push(if vol > 0.0 {
                    q / vol
                } else {
                    bars.close[bars.close.len() - 1]
                });
            }
        }
        if let (Some(ci), false) = (cols.close_time, checked_close_time) {
            checked_close_time = true;
            if let Ok(ct) = field(ci, "close_time")?.parse::<i64>() {
                // Binance close_time = next open − 1 (in the file's unit); +1 unit then to ms.
                let ct_ms = epoch_to_ms(ct + 1);
                let span = ct_ms - ts;
                if span != interval.ms() {
                    return Err(err(format!(
                        "bars span {} ms (open {} to close_time {ct}) but --interval is {interval} ({} ms): wrong interval for this file?",
                        span,
                        format_ms(ts),
                        interval.ms()
                    )));
                }
            }
        }
        lines.push(line);
        Ok(())
    };

    let mut row = 0usize;
    if let Some(rec) = pending {
        row += 1;
        handle(&rec, row)?;
    }
    for rec in records {
        let rec = rec.map_err(|e| {
            DataError::bad_file(file, format!("unreadable CSV after row {row}: {e}"))
        })?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        row += 1;
        handle(&rec, row)?;
    }
    bars.trades = trades;
    bars.vwap = vwap;
    Ok((bars, lines, layout))
}
