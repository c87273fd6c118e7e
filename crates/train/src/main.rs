//! `tradelab-train`: trains and evaluates causal limit-order policies (libtorch via tch).
//! stdout carries JSON lines only (one object per line with an "event" field); messages for
//! people go to stderr. Exit codes: 0 ok, 1 error, 2 usage. See crates/train/README.md.
use std::collections::BTreeMap;
use std::path::PathBuf;
use tch::Device;
use tradelab_train::commands::{bench, eval_symbol, BenchOptions};
use tradelab_train::config::{Arch, TrainConfig};
use tradelab_train::data::Split;
use tradelab_train::decide::{Decider, Request as DecideRequest};
use tradelab_train::events::{error_event, Sink, Stdout};
use tradelab_train::forecaster::train_forecaster;
use tradelab_train::serve::{serve, write_actions, ServeRequest, ServeWindow};
use tradelab_train::trainer::{train, TrainOptions};
use tradelab_train::{Result, TrainError};

const USAGE: &str = "usage:
  tradelab-train train --config FILE.json [--out DIR] [--device auto|cpu|cuda] [--resume CKPT_DIR] [--store DIR] [--deterministic]
  tradelab-train eval --checkpoint CKPT_DIR --split val|test [--epoch N] [--symbol S] [--i-know-test-is-burned] [--registry FILE] [--store DIR] [--out FILE.json] [--device ...] [--deterministic]
  tradelab-train actions --checkpoint CKPT_DIR (--split train|val|test | --from T --to T) [--epoch N] [--symbol S] [--out FILE.parquet|FILE.csv] [--registry FILE] [--i-know-test-is-burned] [--store DIR] [--device ...] [--deterministic]
  tradelab-train decide --checkpoint CKPT_DIR --history-until T [--epoch N] [--symbol S] [--store DIR] [--device ...] [--deterministic]
    (JSON lines on stdin: {\"push\": {\"ts\": [...], \"open\": [...], ...}} or {\"decide\": TS}; one event line answers each)
  tradelab-train train-forecaster --config FILE.json [--out DIR] [--device ...] [--store DIR] [--deterministic]
  --symbol S: a trained symbol, or one the checkpoint never trained on (a labelled transfer: its normaliser is fitted on its own training-window rows)
  --deterministic: libtorch on one intra-op and one inter-op thread, CPU only (also training.deterministic)
  tradelab-train bench --arch nano|classic|ftTransformer --batch 16 --seq 72 --features 32 --d-model 64 --layers 2 --heads 4 --kv-heads 2 --steps 30 --warmup 5 [--threads 2] [--device cpu]";

/// `--name value` options and `--flag` switches of one command.
struct Args {
    values: BTreeMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    fn parse(argv: &[String], valued: &[&str], switches: &[&str]) -> Result<Args> {
        let mut values = BTreeMap::new();
        let mut flags = Vec::new();
        let mut i = 0;
        while i < argv.len() {
            let a = argv[i].as_str();
            let name = a
                .strip_prefix("--")
                .ok_or_else(|| usage(format!("unexpected argument `{a}`")))?;
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            if switches.contains(&name) {
                flags.push(name.to_string());
            } else if valued.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        argv.get(i)
                            .cloned()
                            .ok_or_else(|| usage(format!("--{name} needs a value")))?
                    }
                };
                values.insert(name.to_string(), v);
            } else {
                return Err(usage(format!("unknown option --{name}")));
            }
            i += 1;
        }
        Ok(Args { values, flags })
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }

    fn required(&self, k: &str) -> Result<&str> {
        self.get(k)
            .ok_or_else(|| usage(format!("--{k} is required")))
    }

    fn flag(&self, k: &str) -> bool {
        self.flags.iter().any(|f| f == k)
    }

    fn num<T: std::str::FromStr>(&self, k: &str, default: T) -> Result<T> {
        match self.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| usage(format!("--{k}: `{v}` is not a valid number"))),
        }
    }
}

fn usage(msg: String) -> TrainError {
    TrainError::Usage(msg)
}

/// `--device`; deterministic mode runs on the CPU (tch 0.24 cannot make CUDA deterministic).
fn device(arg: Option<&str>, deterministic: bool) -> Result<Device> {
    match arg.unwrap_or("auto") {
        "auto" if deterministic => Ok(Device::Cpu),
        "cuda" if deterministic => Err(TrainError::Usage(
            "--deterministic runs on the CPU only: tch 0.24 cannot switch libtorch to deterministic CUDA algorithms; use --device cpu or auto".into(),
        )),
        "auto" => Ok(if tch::Cuda::is_available() {
            Device::Cuda(0)
        } else {
            Device::Cpu
        }),
        "cpu" => Ok(Device::Cpu),
        "cuda" => {
            if tch::Cuda::is_available() {
                Ok(Device::Cuda(0))
            } else {
                Err(TrainError::Usage(
                    "--device cuda: no CUDA device is available (libtorch sees none)".into(),
                ))
            }
        }
        other => Err(usage(format!(
            "--device must be auto, cpu or cuda (got `{other}`)"
        ))),
    }
}

fn run(argv: &[String]) -> Result<()> {
    let Some(cmd) = argv.first() else {
        return Err(usage("no command given".into()));
    };
    let rest = &argv[1..];
    // Before any libtorch work: inter-op threads can be pinned only before they start.
    let det = rest.iter().any(|a| a == "--deterministic");
    if det {
        tradelab_train::environment::enable_deterministic()?;
    }
    let mut out = Stdout;
    match cmd.as_str() {
        "train" => {
            let a = Args::parse(
                rest,
                &["config", "out", "device", "resume", "store"],
                &["deterministic"],
            )?;
            let mut cfg = TrainConfig::load(&PathBuf::from(a.required("config")?))?;
            // Recorded in the config, so the checkpoint (and its evals) say how it was trained.
            cfg.training.deterministic |= det;
            let resume = a.get("resume").map(PathBuf::from);
            let out_dir = match (a.get("out"), &resume) {
                (Some(o), _) => PathBuf::from(o),
                (None, Some(r)) => r.clone(),
                (None, None) => default_out(&cfg, cfg.model.arch.name()),
            };
            let opts = TrainOptions {
                out: out_dir,
                device: device(a.get("device"), cfg.training.deterministic)?,
                resume,
                store: PathBuf::from(a.get("store").unwrap_or(&cfg.store)),
            };
            train(&cfg, &opts, &mut out)?;
        }
        "eval" => {
            let a = Args::parse(
                rest,
                &[
                    "checkpoint",
                    "split",
                    "store",
                    "out",
                    "device",
                    "registry",
                    "epoch",
                    "symbol",
                ],
                &["i-know-test-is-burned", "deterministic"],
            )?;
            let epoch = a.get("epoch").map(|_| a.num("epoch", 0usize)).transpose()?;
            let split = match a.required("split")? {
                "val" => Split::Val,
                "test" => Split::Test,
                other => {
                    return Err(usage(format!(
                        "--split must be val or test (got `{other}`)"
                    )))
                }
            };
            let dir = PathBuf::from(a.required("checkpoint")?);
            let store = a.get("store").map(PathBuf::from);
            let ev = eval_symbol(
                &dir,
                split,
                epoch,
                a.get("symbol"),
                a.flag("i-know-test-is-burned"),
                store.as_deref(),
                device(a.get("device"), det)?,
                a.get("registry").map(std::path::Path::new),
            )?;
            if let Some(path) = a.get("out") {
                let bytes = serde_json::to_vec_pretty(&ev["result"])
                    .map_err(|e| TrainError::file(path, e))?;
                tradelab_train::checkpoint::write_atomic(&PathBuf::from(path), &bytes)?;
            }
            out.emit(ev);
        }
        "actions" => {
            let a = Args::parse(
                rest,
                &[
                    "checkpoint",
                    "epoch",
                    "symbol",
                    "split",
                    "from",
                    "to",
                    "store",
                    "out",
                    "device",
                    "registry",
                ],
                &["i-know-test-is-burned", "deterministic"],
            )?;
            let window = match (a.get("split"), a.get("from"), a.get("to")) {
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                    return Err(usage("give --split or --from/--to, not both".into()))
                }
                (Some(s), None, None) => ServeWindow::Split(parse_split(s, true)?),
                (None, None, None) => {
                    return Err(usage(
                        "actions needs a window: --split train|val|test or --from/--to (epoch ms or ISO-8601)".into(),
                    ))
                }
                (None, f, t) => ServeWindow::Range {
                    from: f.map(|v| parse_time("from", v)).transpose()?,
                    to: t.map(|v| parse_time("to", v)).transpose()?,
                },
            };
            let dir = PathBuf::from(a.required("checkpoint")?);
            let store = a.get("store").map(PathBuf::from);
            let epoch = a.get("epoch").map(|_| a.num("epoch", 0usize)).transpose()?;
            let dev = device(a.get("device"), det)?;
            let served = serve(&ServeRequest {
                dir: &dir,
                epoch,
                symbol: a.get("symbol"),
                window,
                store: store.as_deref(),
                device: dev,
                registry: a.get("registry").map(std::path::Path::new),
                allow_burned: a.flag("i-know-test-is-burned"),
                command: "actions",
            })?;
            let out_path = a.get("out").map(PathBuf::from);
            if let Some(p) = &out_path {
                write_actions(&served, p)?;
            }
            let summary = served.summary(out_path.as_deref());
            let env = tradelab_train::environment::environment(
                served.device,
                served.meta.config.training.deterministic,
            );
            out.emit(serde_json::json!({ "event": "actions", "checkpoint": dir.display().to_string(), "result": summary, "environment": env }));
        }
        "decide" => {
            let a = Args::parse(
                rest,
                &[
                    "checkpoint",
                    "epoch",
                    "symbol",
                    "store",
                    "history-until",
                    "device",
                ],
                &["deterministic"],
            )?;
            let dir = PathBuf::from(a.required("checkpoint")?);
            let store = a.get("store").map(PathBuf::from);
            let epoch = a.get("epoch").map(|_| a.num("epoch", 0usize)).transpose()?;
            let until = parse_time("history-until", a.required("history-until")?)?;
            let dev = device(a.get("device"), det)?;
            let (mut d, info) =
                Decider::open(&dir, epoch, a.get("symbol"), store.as_deref(), until, dev)?;
            out.emit(serde_json::json!({ "event": "ready", "result": info }));
            // One answer per request line; a bad request is answered with an error event and
            // the process keeps serving (the loop decides whether to stop).
            for line in std::io::stdin().lines() {
                let line = line.map_err(|e| TrainError::Usage(format!("stdin: {e}")))?;
                if line.trim().is_empty() {
                    continue;
                }
                let answer = serde_json::from_str::<DecideRequest>(&line)
                    .map_err(|e| TrainError::Usage(format!("request line: {e}")))
                    .and_then(|r| match r {
                        DecideRequest::Push(b) => d
                            .push(&b)
                            .map(|n| serde_json::json!({ "event": "pushed", "bars": n })),
                        DecideRequest::Decide(ts) => d
                            .decide(ts)
                            .map(|row| serde_json::json!({ "event": "decision", "result": row })),
                    });
                out.emit(answer.unwrap_or_else(|e| error_event(&e.to_string())));
            }
        }
        "train-forecaster" => {
            let a = Args::parse(
                rest,
                &["config", "out", "device", "store"],
                &["deterministic"],
            )?;
            let mut cfg = TrainConfig::load(&PathBuf::from(a.required("config")?))?;
            cfg.training.deterministic |= det;
            let out_dir = match a.get("out") {
                Some(o) => PathBuf::from(o),
                None => default_out(&cfg, "forecaster"),
            };
            let store = PathBuf::from(a.get("store").unwrap_or(&cfg.store));
            let dev = device(a.get("device"), cfg.training.deterministic)?;
            train_forecaster(&cfg, &store, &out_dir, dev, &mut out)?;
        }
        "bench" => {
            let a = Args::parse(
                rest,
                &[
                    "arch", "batch", "seq", "features", "d-model", "layers", "heads", "kv-heads",
                    "steps", "warmup", "threads", "device",
                ],
                &[],
            )?;
            let arch = match a.get("arch").unwrap_or("nano") {
                "nano" => Arch::Nano,
                "classic" => Arch::Classic,
                "ftTransformer" => Arch::FtTransformer,
                other => {
                    return Err(usage(format!(
                        "--arch must be nano, classic or ftTransformer (got `{other}`)"
                    )))
                }
            };
            let o = BenchOptions {
                arch,
                batch: a.num("batch", 16)?,
                seq: a.num("seq", 72)?,
                features: a.num("features", 32)?,
                d_model: a.num("d-model", 64)?,
                layers: a.num("layers", 2)?,
                heads: a.num("heads", 4)?,
                kv_heads: a.num("kv-heads", 2)?,
                steps: a.num("steps", 30)?,
                warmup: a.num("warmup", 5)?,
                threads: a.num("threads", 2)?,
                device: device(Some(a.get("device").unwrap_or("cpu")), false)?,
            };
            if o.batch == 0
                || o.seq < 2
                || o.features == 0
                || o.steps == 0
                || !(1..=64).contains(&o.threads)
            {
                return Err(usage(
                    "--batch, --features, --steps must be >= 1, --seq >= 2, --threads in [1, 64]"
                        .into(),
                ));
            }
            out.emit(bench(&o)?);
        }
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
        }
        other => return Err(usage(format!("unknown command `{other}`"))),
    }
    Ok(())
}

fn parse_split(s: &str, allow_train: bool) -> Result<Split> {
    match s {
        "train" if allow_train => Ok(Split::Train),
        "val" => Ok(Split::Val),
        "test" => Ok(Split::Test),
        other => Err(usage(format!(
            "--split must be {}val or test (got `{other}`)",
            if allow_train { "train, " } else { "" }
        ))),
    }
}

/// Epoch ms, or an ISO-8601 date / date-time (UTC when no offset is given).
fn parse_time(what: &str, v: &str) -> Result<i64> {
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.timestamp_millis());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, f) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()));
    }
    Err(usage(format!(
        "--{what}: cannot parse `{v}` (epoch ms, YYYY-MM-DD or ISO-8601)"
    )))
}

fn default_out(cfg: &TrainConfig, what: &str) -> PathBuf {
    let sym = cfg
        .symbols
        .first()
        .map(|s| s.replace('/', "_"))
        .unwrap_or_default();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    PathBuf::from("runs/train").join(format!("{sym}-{what}-{stamp}"))
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = match std::panic::catch_unwind(|| run(&argv)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            let msg = e.to_string();
            let mut ev = error_event(&msg);
            // A stable code where callers branch on the error (the demo labels a burned test).
            if matches!(e, tradelab_train::TrainError::TestBurned(_)) {
                ev["code"] = serde_json::json!("TEST_BURNED");
            }
            Stdout.emit(ev);
            eprintln!("tradelab-train: {msg}");
            if e.exit_code() == 2 {
                eprintln!("{USAGE}");
            }
            e.exit_code()
        }
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            let msg = format!("internal error: {msg}");
            Stdout.emit(error_event(&msg));
            eprintln!("tradelab-train: {msg}");
            1
        }
    };
    std::process::exit(code);
}
