//! Links the final binaries against libtorch so they run without LD_LIBRARY_PATH and keep
//! libtorch_cuda when present (Rust links with --as-needed, which would otherwise drop it and
//! leave `Cuda::is_available()` false on a GPU machine; tch-rs issues #907/#980).
fn main() {
    let lib = std::env::var_os("DEP_TCH_LIBTORCH_LIB").map(std::path::PathBuf::from);
    if let Some(lib) = &lib {
        println!("cargo:rustc-link-arg=-Wl,-rpath={}", lib.to_string_lossy());
    }
    libtorch_build(lib.as_deref());
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch");
    // Code version stamped into checkpoints: crate version + TRADELAB_GIT_DESCRIBE if set at build
    // time (e.g. `TRADELAB_GIT_DESCRIBE=$(git describe --always --dirty)`), else "unknown".
    println!("cargo:rerun-if-env-changed=TRADELAB_GIT_DESCRIBE");
    let describe = std::env::var("TRADELAB_GIT_DESCRIBE").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=TRADELAB_TRAIN_GIT={describe}");
}

/// Version, commit and CUDA version of the libtorch linked, recorded in every run's environment:
/// from pip torch's `torch/version.py` next to the library directory, else a libtorch zip's
/// `build-version` file, else "unknown".
fn libtorch_build(lib: Option<&std::path::Path>) {
    let (mut version, mut git, mut cuda) =
        ("unknown".to_string(), "unknown".to_string(), String::new());
    if let Some(root) = lib.and_then(|l| l.parent()) {
        let py = root.join("version.py");
        let zip = root.join("build-version");
        println!("cargo:rerun-if-changed={}", py.display());
        if let Ok(text) = std::fs::read_to_string(&py) {
            for line in text.lines() {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let key = key.split(':').next().unwrap_or("").trim();
                let value = value
                    .trim()
                    .trim_matches(|c| c == '\'' || c == '"')
                    .to_string();
                match key {
                    "__version__" => version = value,
                    "git_version" => git = value,
                    "cuda" if value != "None" => cuda = value,
                    _ => {}
                }
            }
        } else if let Ok(text) = std::fs::read_to_string(&zip) {
            version = text.trim().to_string();
        }
    }
    println!("cargo:rustc-env=TRADELAB_LIBTORCH_VERSION={version}");
    println!("cargo:rustc-env=TRADELAB_LIBTORCH_GIT={git}");
    println!("cargo:rustc-env=TRADELAB_LIBTORCH_CUDA={cuda}");
}
