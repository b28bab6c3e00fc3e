//! Durability: what moth acknowledged survives `kill -9` of its process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use moth::Moth;

#[test]
fn acknowledged_users_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = moth_tests::store(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_ack-writer"))
        .arg(path.reveal())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start ack-writer");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < 200 {
        let line = lines.next().expect("ack-writer ended early").unwrap();
        acked.push(line.parse::<u64>().unwrap());
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush on the way out.
    child.wait().unwrap();
    let moth = Moth::open(&path).unwrap();
    for id in acked {
        assert!(moth.get_user(id).is_ok(), "acknowledged user {id} was lost");
    }
}
