//! Misbehaviour on demand, for the host's fault-containment tests (feature
//! `fault-injection`). Each fault strikes mid-operation: after the store
//! has been read, before the commit.

use crate::imports::auth;

/// Trap, spin or exhaust memory when `username` (given to create-user)
/// names a fault: `fault-trap`, `fault-loop` or `fault-oom`.
pub fn inject(username: &str) {
    if !username.starts_with("fault-") {
        return;
    }
    let _ = auth().get_settings();
    match username {
        "fault-trap" => core::arch::wasm32::unreachable(),
        "fault-loop" => loop {
            core::hint::black_box(());
        },
        "fault-oom" => {
            // Reserve without writing: each MiB grows linear memory
            // (what the host's limiter watches) at once, so the cap is hit
            // in milliseconds even on a loaded machine, well within the
            // call's deadline, instead of after 64 MiB of memset.
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(Vec::with_capacity(1 << 20));
                core::hint::black_box(&hoard);
            }
        }
        _ => {}
    }
}
