//! A short run of `benches/crash.py`: kill -9 cycles under load, then every
//! acknowledged message must be in its conversation's log, in order, and
//! `stats` must count exactly the logged turns. (The full run is a
//! benchmark: `python3 benches/crash.py --cycles 20`.)

use std::process::Command;

#[test]
fn no_acknowledged_message_is_lost_across_kill_9_cycles() {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = Command::new("python3").arg("--version").output();
    if python.is_err() {
        assert!(std::env::var_os("CI").is_none(), "python3 is needed in CI");
        eprintln!("skipped: no python3");
        return;
    }
    let out = Command::new("python3")
        .arg(format!("{root}/benches/crash.py"))
        .args(["--binary", env!("CARGO_BIN_EXE_xinfang-guide")])
        .args(["--cycles", "4", "--sessions", "8", "--max-load-seconds", "1.5", "--seed", "7"])
        .current_dir(root)
        .output()
        .expect("run crash.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("lost 0, mismatches 0"), "{stdout}");
}
