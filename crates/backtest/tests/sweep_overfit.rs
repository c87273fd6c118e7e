//! A sweep reports how much its best row owes to the number of rows tried: the deflated Sharpe
//! over the honest rows, and PBO by CSCV from each row's re-simulated returns.
mod common;
use tradelab_backtest::load::Window;
use tradelab_backtest::sweep;

#[test]
fn a_sweep_reports_deflated_sharpe_and_pbo_over_its_honest_rows() {
    let w = Window::range(common::bundled_store(), "1h", None, None);
    let spec = r#"{"strategy":{"kind":"emaCross","fast":12,"slow":26},
                   "grid":{"fast":[4,6,8,12],"slow":[20,30,50],"decisionLag":[0,1]}}"#;
    let (r, _) = sweep::run(&w, "SOL/USDT", spec, None, None).unwrap();
    assert_eq!(r.rows.len(), 24);
    let best = r.best.clone().unwrap();
    let o = r.overfit.clone().unwrap();
    // Lag-0 rows are optimistic: neither chosen nor counted as trials.
    assert_eq!(o.deflated.trials, 12);
    let row = r.rows.iter().find(|x| x.index as u64 == best.index).unwrap();
    assert!(!row.optimistic);
    let p = row.params.periods_per_year.unwrap();
    assert!((o.deflated.sharpe - row.metrics.curve.sharpe / p.sqrt()).abs() < 1e-15);
    assert_eq!(o.deflated.returns, r.bars);
    assert!((0.0..=1.0).contains(&o.deflated.dsr));
    let pbo = o.pbo.clone().unwrap();
    assert_eq!((pbo.blocks, pbo.splits, pbo.trials), (16, 12_870, 12));
    assert!((0.0..=1.0).contains(&pbo.pbo));
    assert!(o.text.starts_with("deflated Sharpe "), "{}", o.text);
    assert!(o.text.contains("PBO"), "{}", o.text);
}
