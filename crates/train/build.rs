//! Links the final binaries against libtorch so they run without LD_LIBRARY_PATH and keep
//! libtorch_cuda when present (Rust links with --as-needed, which would otherwise drop it and
//! leave `Cuda::is_available()` false on a GPU machine; tch-rs issues #907/#980).
fn main() {
    if let Some(lib) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath={}", lib.to_string_lossy());
    }
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch");
    // Code version stamped into checkpoints: crate version + TRADELAB_GIT_DESCRIBE if set at build
    // time (e.g. `TRADELAB_GIT_DESCRIBE=$(git describe --always --dirty)`), else "unknown".
    println!("cargo:rerun-if-env-changed=TRADELAB_GIT_DESCRIBE");
    let describe = std::env::var("TRADELAB_GIT_DESCRIBE").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=TRADELAB_TRAIN_GIT={describe}");
}
