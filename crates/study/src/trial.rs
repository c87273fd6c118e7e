//! One trial: its parameters, state, final value and intermediate values.
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TrialState {
    Running,
    Complete,
    Pruned,
    Failed,
}

impl TrialState {
    pub fn finished(self) -> bool {
        !matches!(self, TrialState::Running)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Trial {
    pub number: u32,
    /// Parameter name -> value as the objective sees it.
    #[ts(type = "Record<string, unknown>")]
    pub params: BTreeMap<String, Value>,
    pub state: TrialState,
    /// The objective's value (complete trials); a pruned trial's last intermediate value.
    pub value: Option<f64>,
    /// `[step, value]` in the order reported.
    #[serde(default)]
    pub intermediate: Vec<(u32, f64)>,
}

impl Trial {
    pub fn last_intermediate(&self) -> Option<(u32, f64)> {
        self.intermediate.last().copied()
    }

    pub fn intermediate_at(&self, step: u32) -> Option<f64> {
        self.intermediate
            .iter()
            .rev()
            .find(|(s, _)| *s == step)
            .map(|(_, v)| *v)
    }
}

/// What a finished trial ended as.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Outcome {
    Complete { value: f64 },
    Pruned,
    Failed,
}

/// A trial handed out by `ask`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Asked {
    pub number: u32,
    #[ts(type = "Record<string, unknown>")]
    pub params: BTreeMap<String, Value>,
}

/// Counts and the best trial so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub trials: u32,
    pub running: u32,
    pub complete: u32,
    pub pruned: u32,
    pub failed: u32,
    pub best: Option<Trial>,
}
