/**
 * tradelab library entry point.
 *
 * ```ts
 * import { openStore } from "tradelab";
 * const store = openStore("./tradelab-data");
 * await store.import("BTC_USDT-1h.feather", { symbol: "BTC/USDT", interval: "1h" });
 * const table = await store.read("BTC/USDT", "1h");
 * ```
 */
export { openStore, BarStore } from "./store.js";
export type { BarArrays, ImportOptions, MergeOptions, ProgressEvent } from "./store.js";
export { TradelabError } from "./errors.js";
export { resolveStoreDir } from "./config.js";
export { inferDatasetFromFileName } from "./naming.js";
export * from "./types.js";
export { backtest, backtestPortfolio, fundingHarvest, strategyLabel, sweep, sweepActions, sweepPortfolio } from "./sim.js";
export type {
  BacktestOptions,
  BacktestResult,
  CurveMetrics,
  CurveResult,
  HarvestOptions,
  HarvestReport,
  HarvestRule,
  InstrumentResult,
  PortfolioOptions,
  PortfolioReport,
  PortfolioSweepReport,
  PortfolioSweepRow,
  SplitInfo,
  SplitOptions,
  EvalWindow,
  FillRule,
  Metrics,
  SimLabel,
  SimParams,
  Strategy,
  SweepConfig,
  SweepResult,
  SweepRow,
  Trade,
  StressRow,
  RobustScore,
  ActionsSweepConfig,
  ActionsSweepResult,
  Overfit,
  DeflatedSharpe,
  Pbo,
} from "./sim.js";
export * from "./symbols.js";
export * from "./download/index.js";
export { walkForward } from "./walk-forward.js";
export { selectBacktest, selectSweep, runSelect, resolveActions, loadSelectorFactory, EdgeSelector, SELECT_AXES } from "./select/index.js";
export type { ActionSource, Candidate, EdgeSelectorOptions, PositionView, ResolvedActions, SelectAxis, SelectConfig, SelectContext, SelectGrid, SelectOptions, SelectResult, SelectSweepResult, SelectSweepRow, Selector, SelectorFactory } from "./select/index.js";
export type { WalkForwardConfig, WalkForwardOptions, WalkForwardResult, WalkForwardStrategy } from "./walk-forward.js";
export { readActionsFile } from "./actions-file.js";
export type { ActionArrays } from "./actions-file.js";
export {
  openRegistry,
  RunRegistry,
  recordRun,
  listRuns,
  getRun,
  compareRuns,
  progressLog,
  resolveRegistryPath,
  codeVersion,
  environment,
  environmentText,
  storeDataHash,
  hashFiles,
  backtestRunInput,
  sweepRunInput,
  portfolioRunInput,
  portfolioSweepRunInput,
  harvestRunInput,
  RUN_KINDS,
} from "./registry/index.js";
export type { RunInput, RunRecord, RunFilter, RunComparison, RunKind, RunWindow, RegistryOption, ProgressLogFormat, RecordExtras } from "./registry/index.js";
export type { Environment, EnvironmentRow, LibtorchEnvironment } from "./registry/index.js";
export { RunJournal, openJournal, journalMarkdown, keyMetrics, ruleText, verdictText } from "./registry/journal.js";
export type { JournalEntry, JournalEntryInput, Study, StudyJournal, Threshold, ThresholdOp, ThresholdSpec, Verdict, VerdictCheck } from "./registry/journal.js";
// Hyperparameter studies (TPE / random / grid with pruning; BullMQ workers with `redis`).
export { createStudy, runStudy, studyStatus, studyEnsemble, parseStudyConfig, readStudyConfig, studySpec, writeJournal, OptunaJournal } from "./study/index.js";
export type { StudyConfig, StudyOptions, StudyRunResult, StudyStatus, StudyEnsemble, EnsembleMember, Objective as StudyObjective, BacktestObjective, WalkForwardObjective, RunOptions as StudyRunOptions } from "./study/index.js";
export type { Param as StudyParam, Trial as StudyTrial, TrialState, Summary as StudySummary, Direction as StudyDirection, SamplerSpec, PrunerSpec, StudySpec } from "./study/index.js";
export { renderReport, writeReport, backtestReportRun, assumptionsText, MAX_TRADE_ROWS } from "./report/index.js";
export type { ReportInput, ReportRun, RoundTrip, MonthReturn, Histogram } from "./report/index.js";
export { buildFeatures, buildFeatureSet, featureSchemaOf, ensureSameSchema, forecastBuild, forecastEval, forecasterNames } from "./features.js";
export type {
  FeatureSpec,
  ForecastFeatureSpec,
  FeatureSchema,
  FeatureBuild,
  FeatureOptions,
  CacheReport,
  ForecastOptions,
  ForecastBuildResult,
  ForecastEvalOptions,
  ForecastEvalResult,
  ForecastEvalRow,
} from "./features.js";
export { train, evaluate, policyActions, trainForecaster, trainRunInput, evalRunInput, locateTrainBinary, runTrainBinary, parseEventLine } from "./train/index.js";
export type {
  TrainOptions,
  TrainDone,
  EvaluateOptions,
  EvalDone,
  PolicyActionsOptions,
  PolicyActions,
  ActionsSummary,
  EnsembleSummary,
  ForecasterDone,
  TrainDevice,
  RecordOption,
  TrainEvent,
  StartEvent as TrainStartEvent,
  ProgressEvent as TrainProgressEvent,
  EpochEvent as TrainEpochEvent,
  DoneEvent as TrainDoneEvent,
  EvalEvent as TrainEvalEvent,
  BenchEvent as TrainBenchEvent,
  ErrorEvent as TrainErrorEvent,
  EvalResult as TrainEvalResult,
  SplitSummary,
  SplitBounds,
  TrainEvalWindow,
  TrainSplit,
} from "./train/index.js";
