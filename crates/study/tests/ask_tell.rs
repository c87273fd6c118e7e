//! Ask/tell semantics, the constant liar, grid, resume and the pruners.
use serde_json::{json, Value};
use tradelab_study::{Outcome, Study, StudySpec, TrialState};

fn study(v: Value) -> Study {
    Study::new(serde_json::from_value(v).unwrap()).unwrap()
}

fn x_of(study: &mut Study) -> (u32, f64) {
    let a = study.ask().unwrap().unwrap();
    (a.number, a.params["x"].as_f64().unwrap())
}

#[test]
fn constant_liar_spreads_parallel_asks() {
    // After 20 told trials around x = 0.3, ask 8 at once without telling. Without the liar the
    // 8 proposals come from the same l/g and crowd together; with it each running trial counts
    // as bad, so they spread.
    let spread = |liar: bool| {
        let mut s = study(
            json!({ "direction": "minimize", "seed": 7, "space": { "x": { "type": "float", "low": 0.0, "high": 1.0 } },
            "sampler": { "kind": "tpe", "nStartupTrials": 10, "constantLiar": liar } }),
        );
        for _ in 0..20 {
            let (n, x) = x_of(&mut s);
            s.tell(
                n,
                Outcome::Complete {
                    value: (x - 0.3).powi(2),
                },
            )
            .unwrap();
        }
        let mut xs: Vec<f64> = (0..8).map(|_| x_of(&mut s).1).collect();
        xs.sort_by(f64::total_cmp);
        xs[7] - xs[0]
    };
    let (with, without) = (spread(true), spread(false));
    assert!(
        with > without,
        "spread with liar {with} vs without {without}"
    );
}

#[test]
fn asks_are_reproducible_and_resume_asks_the_same() {
    let v = json!({ "direction": "maximize", "seed": 3, "space": { "x": { "type": "float", "low": -1.0, "high": 1.0 } }, "sampler": { "kind": "tpe", "nStartupTrials": 3 } });
    let mut a = study(v.clone());
    for _ in 0..10 {
        let (n, x) = x_of(&mut a);
        a.tell(n, Outcome::Complete { value: -x * x }).unwrap();
    }
    let trials = a.trials().to_vec();
    let mut b = Study::restore(serde_json::from_value(v).unwrap(), trials).unwrap();
    assert_eq!(x_of(&mut a), x_of(&mut b));
    assert_eq!(a.best().unwrap().number, b.best().unwrap().number);
}

#[test]
fn grid_visits_every_combination_once_then_stops() {
    let mut s = study(
        json!({ "direction": "minimize", "sampler": { "kind": "grid" },
        "space": { "a": { "type": "int", "low": 1, "high": 3 }, "b": { "type": "categorical", "choices": ["x", "y"] } } }),
    );
    assert_eq!(s.capacity(), Some(6));
    let mut seen = std::collections::BTreeSet::new();
    while let Some(t) = s.ask().unwrap() {
        seen.insert(serde_json::to_string(&t.params).unwrap());
        s.tell(t.number, Outcome::Complete { value: 0.0 }).unwrap();
    }
    assert_eq!(seen.len(), 6);
    let bad: Result<StudySpec, _> = StudySpec::from_json(
        r#"{"direction":"minimize","sampler":{"kind":"grid"},"space":{"f":{"type":"float","low":0,"high":1}}}"#,
    );
    assert!(bad
        .unwrap_err()
        .to_string()
        .contains("`f`: a grid sampler needs `step`"));
}

#[test]
fn tell_and_report_refuse_misuse() {
    let mut s = study(
        json!({ "direction": "minimize", "space": { "x": { "type": "float", "low": 0.0, "high": 1.0 } } }),
    );
    let (n, _) = x_of(&mut s);
    s.report(n, 1, 0.5).unwrap();
    assert!(s
        .report(n, 1, 0.4)
        .unwrap_err()
        .to_string()
        .contains("steps must increase"));
    assert!(s
        .tell(n, Outcome::Complete { value: f64::NAN })
        .unwrap_err()
        .to_string()
        .contains("not finite"));
    s.tell(n, Outcome::Complete { value: 0.1 }).unwrap();
    assert!(s
        .tell(n, Outcome::Failed)
        .unwrap_err()
        .to_string()
        .contains("trial 0: already finished"));
    assert!(s
        .tell(9, Outcome::Failed)
        .unwrap_err()
        .to_string()
        .contains("trial 9: no such trial"));
    let e = StudySpec::from_json(r#"{"direction":"minimize","space":{"x":{"type":"float","low":0,"high":1}},"sampler":{"kind":"tpe","gama":0.2}}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `gama`"), "{e}");
}

/// Curves: trial i's value at step s is `q_i * (1 - 0.5^s)`, i.e. it converges to q_i.
fn curve(q: f64, s: u32) -> f64 {
    q * (1.0 - 0.5f64.powi(s as i32))
}

fn run_curves(pruner: Value, qs: &[f64]) -> Vec<(TrialState, u32)> {
    let mut s = study(
        json!({ "direction": "maximize", "space": { "x": { "type": "float", "low": 0.0, "high": 1.0 } }, "sampler": { "kind": "random" }, "pruner": pruner }),
    );
    let mut out = Vec::new();
    for &q in qs {
        let n = s.ask().unwrap().unwrap().number;
        let mut steps = 0;
        let mut pruned = false;
        for step in 1..=27 {
            steps = step;
            if s.report(n, step, curve(q, step)).unwrap() {
                pruned = true;
                break;
            }
        }
        let t = s
            .tell(
                n,
                if pruned {
                    Outcome::Pruned
                } else {
                    Outcome::Complete {
                        value: curve(q, 27),
                    }
                },
            )
            .unwrap();
        out.push((t.state, steps));
    }
    out
}

#[test]
fn median_pruner_stops_trials_below_the_median_and_keeps_better_ones() {
    let qs = [1.0, 2.0, 3.0, 4.0, 5.0, 0.5, 6.0, 2.5, 0.1];
    let r = run_curves(json!({ "kind": "median", "nStartupTrials": 5 }), &qs);
    assert!(
        r[..5]
            .iter()
            .all(|(s, n)| *s == TrialState::Complete && *n == 27),
        "{r:?}"
    );
    assert_eq!(
        r[5],
        (TrialState::Pruned, 1),
        "q=0.5 is below the median of 1..5 at step 1"
    );
    assert_eq!(
        r[6].0,
        TrialState::Complete,
        "q=6 beats every earlier curve"
    );
    assert_eq!(r[7].0, TrialState::Pruned);
    assert_eq!(r[8], (TrialState::Pruned, 1));
}

#[test]
fn successive_halving_keeps_the_top_third_at_each_rung() {
    // Rungs at steps 1, 3, 9, 27 (min resource 1, factor 3). Increasing curves reach every rung
    // first and are kept; a worse one arriving later is stopped at the first rung where it is
    // outside the top third.
    let qs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, 7.0];
    let r = run_curves(
        json!({ "kind": "successiveHalving", "minResource": 1, "reductionFactor": 3 }),
        &qs,
    );
    assert!(
        r[..6].iter().all(|(s, _)| *s == TrialState::Complete),
        "{r:?}"
    );
    assert_eq!(r[6], (TrialState::Pruned, 1));
    assert_eq!(r[7].0, TrialState::Complete);
    // Decreasing quality: with 3+ trials at a rung, only the top third goes on.
    let r = run_curves(
        json!({ "kind": "successiveHalving", "minResource": 1, "reductionFactor": 3 }),
        &[9.0, 8.0, 7.0, 6.0, 5.0, 4.0],
    );
    assert_eq!(r[0], (TrialState::Complete, 27));
    assert!(
        r[1..]
            .iter()
            .all(|(s, n)| *s == TrialState::Pruned && *n == 1),
        "{r:?}"
    );
}

#[test]
fn pruning_makes_a_study_cheaper_at_the_same_best() {
    // 30 trials of random q in [0, 1]: the median pruner spends far fewer steps and still finds
    // the same best trial (a good curve is never below the median of earlier ones).
    let qs: Vec<f64> = (0..30).map(|i| ((i * 7919) % 30) as f64 / 30.0).collect();
    let steps = |r: &[(TrialState, u32)]| r.iter().map(|(_, n)| *n).sum::<u32>();
    let full = run_curves(json!({ "kind": "none" }), &qs);
    let pruned = run_curves(json!({ "kind": "median" }), &qs);
    assert!(
        steps(&pruned) * 2 < steps(&full),
        "{} vs {}",
        steps(&pruned),
        steps(&full)
    );
    let best = qs.iter().cloned().fold(0.0, f64::max);
    let i = qs.iter().position(|q| *q == best).unwrap();
    assert_eq!(pruned[i].0, TrialState::Complete);
}
