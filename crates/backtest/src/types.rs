//! TypeScript declarations generated from the Rust structs (ts-rs), so TS never mirrors them by
//! hand. `ts/src/generated/engine.ts` is this module's output; a test fails when it is stale
//! (`TRADELAB_BLESS=1 cargo test -p tradelab-backtest` rewrites it).
use ts_rs::TS;

/// Every exported declaration, in dependency-friendly order.
pub fn declarations() -> String {
    let decls = [
        tradelab_sim::FillRule::decl(),
        tradelab_sim::SimParams::decl(),
        tradelab_sim::SimLabel::decl(),
        tradelab_sim::Strategy::decl(),
        tradelab_sim::CurveMetrics::decl(),
        tradelab_sim::Metrics::decl(),
        tradelab_sim::Side::decl(),
        tradelab_sim::TradeReason::decl(),
        tradelab_sim::Trade::decl(),
        tradelab_sim::Fill::decl(),
        tradelab_sim::RoundTrip::decl(),
        tradelab_sim::engine::portfolio::InstrumentResult::decl(),
        tradelab_sim::SweepRow::decl(),
        tradelab_sim::StressRow::decl(),
        tradelab_sim::RobustScore::decl(),
        crate::overfit::DeflatedSharpe::decl(),
        crate::overfit::Pbo::decl(),
        crate::sweep::Overfit::decl(),
        crate::actions_sweep::ActionsSweepRequest::decl(),
        crate::actions_sweep::ActionsSweepRow::decl(),
        crate::actions_sweep::ActionsSweepReport::decl(),
        crate::load::Window::decl(),
        crate::load::SplitInfo::decl(),
        crate::single::SingleRequest::decl(),
        crate::single::StrategyUsed::decl(),
        crate::single::ActionsKind::decl(),
        crate::single::SingleReport::decl(),
        crate::portfolio::PortfolioRequest::decl(),
        crate::portfolio::PortfolioReport::decl(),
        crate::sweep::BestRow::decl(),
        crate::sweep::SweepReport::decl(),
        crate::sweep::SweepPlan::decl(),
        crate::portfolio_sweep::PortfolioSweepRequest::decl(),
        crate::portfolio_sweep::PortfolioSweepRow::decl(),
        crate::portfolio_sweep::PortfolioSweepReport::decl(),
        crate::harvest::HarvestRule::decl(),
        crate::harvest::HarvestRequest::decl(),
        crate::harvest::HarvestReport::decl(),
        crate::select::EdgeMode::decl(),
        crate::select::SelectRequest::decl(),
        crate::select::ShortSettings::decl(),
        crate::select::SelectReport::decl(),
        crate::select::SweptRow::decl(),
        crate::walk_forward::WalkForwardRequest::decl(),
        crate::walk_forward::Part::decl(),
        crate::walk_forward::FoldResult::decl(),
        crate::walk_forward::WalkForwardReport::decl(),
        tradelab_sim::engine::Size::decl(),
        tradelab_sim::engine::Limit::decl(),
        tradelab_sim::engine::Orders::decl(),
        crate::paper::PaperRequest::decl(),
        crate::paper::ActionRow::decl(),
        crate::paper::PaperStatus::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust structs by crates/backtest/src/types.rs (ts-rs). Do not edit:\n\
         // `TRADELAB_BLESS=1 cargo test -p tradelab-backtest --test generated_types` rewrites it.\n\
         /* eslint-disable */\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
