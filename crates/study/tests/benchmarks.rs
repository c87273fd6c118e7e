//! TPE against random search at equal budget on Branin and Hartmann-6 (known optima), over 20
//! seeds: a paired comparison of the best value found, asserted as a sign test.
use serde_json::{json, Value};
use std::f64::consts::PI;
use tradelab_study::{Outcome, SamplerSpec, Study, StudySpec};

const BRANIN_MIN: f64 = 0.397_887_357_729_738;
const HARTMANN6_MIN: f64 = -3.322_368_011_391_339;

fn branin(x1: f64, x2: f64) -> f64 {
    let (a, b, c, r, s, t) = (
        1.0,
        5.1 / (4.0 * PI * PI),
        5.0 / PI,
        6.0,
        10.0,
        1.0 / (8.0 * PI),
    );
    a * (x2 - b * x1 * x1 + c * x1 - r).powi(2) + s * (1.0 - t) * x1.cos() + s
}

fn hartmann6(x: &[f64; 6]) -> f64 {
    const A: [[f64; 6]; 4] = [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ];
    const P: [[f64; 6]; 4] = [
        [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
        [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
        [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
    ];
    const ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
    -(0..4)
        .map(|i| {
            ALPHA[i]
                * (-(0..6)
                    .map(|j| A[i][j] * (x[j] - P[i][j]).powi(2))
                    .sum::<f64>())
                .exp()
        })
        .sum::<f64>()
}

fn spec(space: Value, sampler: SamplerSpec, seed: u64) -> StudySpec {
    let mut s: StudySpec =
        serde_json::from_value(json!({ "direction": "minimize", "space": space, "seed": seed }))
            .unwrap();
    s.sampler = Some(sampler);
    s
}

fn tpe() -> SamplerSpec {
    SamplerSpec::default()
}

/// Best value after `budget` sequential trials.
fn run(spec: StudySpec, budget: usize, f: &dyn Fn(&serde_json::Map<String, Value>) -> f64) -> f64 {
    let mut study = Study::new(spec).unwrap();
    for _ in 0..budget {
        let a = study.ask().unwrap().unwrap();
        let m: serde_json::Map<String, Value> = a.params.into_iter().collect();
        study
            .tell(a.number, Outcome::Complete { value: f(&m) })
            .unwrap();
    }
    study.best().unwrap().value.unwrap()
}

fn x(m: &serde_json::Map<String, Value>, k: &str) -> f64 {
    m[k].as_f64().unwrap()
}

/// (TPE wins, mean TPE regret, mean random regret) over `seeds`.
fn compare(
    space: Value,
    budget: usize,
    optimum: f64,
    seeds: u64,
    f: &dyn Fn(&serde_json::Map<String, Value>) -> f64,
) -> (u32, f64, f64) {
    let (mut wins, mut rt, mut rr) = (0, 0.0, 0.0);
    for seed in 0..seeds {
        let t = run(spec(space.clone(), tpe(), seed), budget, f) - optimum;
        let r = run(
            spec(space.clone(), SamplerSpec::Random, seed + 1000),
            budget,
            f,
        ) - optimum;
        assert!(t >= -1e-9 && r >= -1e-9, "below the known optimum: {t} {r}");
        wins += (t < r) as u32;
        rt += t / seeds as f64;
        rr += r / seeds as f64;
    }
    println!("wins {wins}/{seeds}, mean regret tpe {rt:.4} random {rr:.4}");
    (wins, rt, rr)
}

#[test]
fn tpe_beats_random_on_branin() {
    let space = json!({ "x1": { "type": "float", "low": -5.0, "high": 10.0 }, "x2": { "type": "float", "low": 0.0, "high": 15.0 } });
    let (wins, tpe_regret, random_regret) = compare(space, 100, BRANIN_MIN, 20, &|m| {
        branin(x(m, "x1"), x(m, "x2"))
    });
    // Sign test: 15 or more of 20 has p ≈ 0.021 under "no better than random".
    assert!(wins >= 15, "TPE won {wins} of 20 seeds");
    assert!(
        tpe_regret < random_regret * 0.6,
        "mean regret {tpe_regret} vs random {random_regret}"
    );
}

#[test]
fn tpe_beats_random_on_hartmann6() {
    let space: serde_json::Map<String, Value> = (0..6)
        .map(|i| {
            (
                format!("x{i}"),
                json!({ "type": "float", "low": 0.0, "high": 1.0 }),
            )
        })
        .collect();
    let f = |m: &serde_json::Map<String, Value>| {
        hartmann6(&std::array::from_fn(|i| x(m, &format!("x{i}"))))
    };
    let (wins, tpe_regret, random_regret) =
        compare(Value::Object(space), 100, HARTMANN6_MIN, 20, &f);
    assert!(wins >= 15, "TPE won {wins} of 20 seeds");
    assert!(
        tpe_regret < random_regret,
        "mean regret {tpe_regret} vs random {random_regret}"
    );
}

#[test]
fn known_optima_are_right() {
    assert!((branin(PI, 2.275) - BRANIN_MIN).abs() < 1e-9);
    assert!(
        (hartmann6(&[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]) - HARTMANN6_MIN)
            .abs()
            < 1e-5
    );
}

#[test]
fn tpe_handles_int_log_and_categorical_parameters() {
    // Minimum at n = 64 (log int), kind = "b", lr = 1e-3 (log float).
    let space = json!({
        "n": { "type": "int", "low": 1, "high": 1024, "log": true },
        "kind": { "type": "categorical", "choices": ["a", "b", "c", "d"] },
        "lr": { "type": "float", "low": 1e-5, "high": 1.0, "log": true },
        "w": { "type": "int", "low": 0, "high": 100, "step": 5 },
    });
    let f = |m: &serde_json::Map<String, Value>| {
        let n = m["n"].as_i64().unwrap() as f64;
        let w = m["w"].as_i64().unwrap();
        assert!(w % 5 == 0 && (0..=100).contains(&w));
        (n.log2() - 6.0).powi(2)
            + if m["kind"] == json!("b") { 0.0 } else { 3.0 }
            + (x(m, "lr").log10() + 3.0).powi(2)
            + (w as f64 - 40.0).abs() / 20.0
    };
    let mut wins = 0;
    for seed in 0..20 {
        let t = run(spec(space.clone(), tpe(), seed), 80, &f);
        let r = run(
            spec(space.clone(), SamplerSpec::Random, seed + 1000),
            80,
            &f,
        );
        wins += (t < r) as u32;
    }
    assert!(wins >= 15, "TPE won {wins} of 20 seeds");
}
