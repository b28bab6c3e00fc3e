//! Builds the `moth-guest` crate for `wasm32-unknown-unknown`, turns the core
//! module into a component and leaves it in `OUT_DIR/moth.wasm` for
//! `include_bytes!`. The host binary therefore carries its component and
//! needs no guest source at run time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace root");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());

    for watched in [
        "guest/src",
        "guest/core/src",
        "guest/Cargo.toml",
        "guest/core/Cargo.toml",
        "wit",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=MOTH_GUEST_RUSTFLAGS");

    let module = build_guest(root, &out_dir, &[]);
    fs::write(out_dir.join("moth.wasm"), componentize(&module)).expect("write moth.wasm");
    // The fault-injection variant only exists for the `testing` feature.
    if env::var_os("CARGO_FEATURE_TESTING").is_some() {
        let module = build_guest(root, &out_dir, &["--features", "fault-injection"]);
        fs::write(out_dir.join("moth-faulty.wasm"), componentize(&module))
            .expect("write moth-faulty.wasm");
    }
}

/// Run a nested cargo for the guest. It gets its own target directory: the
/// outer cargo holds the lock on the workspace's.
fn build_guest(root: &Path, out_dir: &Path, extra: &[&str]) -> Vec<u8> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = out_dir.join("guest-target");
    // SIMD lets the compiler vectorise Argon2's block mixing; every host
    // moth targets (wasmtime, Node, wasmtime-py) supports it.
    let rustflags =
        env::var("MOTH_GUEST_RUSTFLAGS").unwrap_or_else(|_| "-Ctarget-feature=+simd128".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--package",
            "moth-guest",
            "--target",
            TARGET,
            "--profile",
            "guest",
            "--locked",
        ])
        .args(extra)
        .arg("--target-dir")
        .arg(&target_dir)
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            rustflags
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("\x1f"),
        );
    for inherited in [
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(inherited);
    }
    let status = cmd.status().expect("run cargo to build the guest");
    if !status.success() {
        panic!(
            "building the moth guest failed ({status}); is the target installed? \
             run: rustup target add {TARGET}"
        );
    }
    let wasm = target_dir
        .join(TARGET)
        .join("guest")
        .join("moth_guest.wasm");
    fs::read(&wasm).unwrap_or_else(|e| panic!("read {}: {e}", wasm.display()))
}

fn componentize(module: &[u8]) -> Vec<u8> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|e| e.validate(true).encode())
        .unwrap_or_else(|e| panic!("componentizing the guest failed: {e:?}"))
}
