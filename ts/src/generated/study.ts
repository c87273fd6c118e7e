// Generated from the Rust structs by crates/study/src/types.rs (ts-rs). Do not edit:
// `TRADELAB_BLESS=1 cargo test -p tradelab-study --test generated_types` rewrites it.
/* eslint-disable */

export type Param = { "type": "float", low: number, high: number, log: boolean, 
/**
 * Values on `low + k * step` (not with `log`).
 */
step?: number, } | { "type": "int", low: number, high: number, log: boolean, 
/**
 * Default 1 (not with `log`).
 */
step?: number, } | { "type": "categorical", choices: unknown[], };

export type Direction = "minimize" | "maximize";

export type SamplerSpec = { "kind": "tpe", nStartupTrials: number, gamma: number, nEiCandidates: number, constantLiar: boolean, priorWeight: number, } | { "kind": "random" } | { "kind": "grid" };

export type PrunerSpec = { "kind": "none" } | { "kind": "median", nStartupTrials: number, nWarmupSteps: number, } | { "kind": "successiveHalving", minResource: number, reductionFactor: number, minEarlyStoppingRate: number, };

export type StudySpec = { direction: Direction, space: { [key in string]?: Param }, sampler?: SamplerSpec, pruner?: PrunerSpec, 
/**
 * Trial n's draws come from (seed, n) alone, so a resumed study asks what it would have.
 */
seed?: number, };

export type TrialState = "running" | "complete" | "pruned" | "failed";

export type Trial = { number: number, 
/**
 * Parameter name -> value as the objective sees it.
 */
params: Record<string, unknown>, state: TrialState, 
/**
 * The objective's value (complete trials); a pruned trial's last intermediate value.
 */
value: number | null, 
/**
 * `[step, value]` in the order reported.
 */
intermediate: Array<[number, number]>, };

export type Outcome = { "state": "complete", value: number, } | { "state": "pruned" } | { "state": "failed" };

export type Asked = { number: number, params: Record<string, unknown>, };

export type Summary = { trials: number, running: number, complete: number, pruned: number, failed: number, best: Trial | null, };
