/** Hyperparameter studies: config, objectives, the registry-backed runner and the Optuna journal. */
export { parseObjective, parseStudyConfig, readStudyConfig, studySpec, type BacktestObjective, type Objective, type StudyConfig, type WalkForwardObjective } from "./config.js";
export { evaluate, trialInputs, type ObjectiveResult } from "./objective.js";
export { createStudy, runStudy, studyStatus, type RunOptions, type StudyOptions, type StudyRunResult, type StudyStatus } from "./run.js";
export { studyEnsemble, type EnsembleMember, type StudyEnsemble } from "./ensemble.js";
export { OptunaJournal, optunaDistribution, writeJournal } from "./journal.js";
export type { Asked, Direction, Param, PrunerSpec, SamplerSpec, StudySpec, Summary, Trial, TrialState } from "../generated/study.js";
