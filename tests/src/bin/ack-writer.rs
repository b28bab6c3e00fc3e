//! Test helper for the crash test: creates users in a loop and prints each
//! id only after `create_user` returned, i.e. after moth acknowledged it.

use std::io::Write;

fn main() {
    let path = std::env::args().nth(1).expect("usage: ack-writer DB");
    let moth = moth::Options::new()
        .create(true)
        .settings(moth_tests::cheap_settings())
        .open(&path)
        .expect("open database");
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let user = moth
            .create_user(&format!("user{i}"), "pw", "p")
            .expect("create user");
        writeln!(out, "{}", user.id).expect("stdout");
        out.flush().expect("stdout");
    }
}
