//! `xinfang-guide train`: see [`crate::understand::train`].

use crate::understand::train::{self, MODEL_BIN, MODEL_TOML, Settings};
use std::path::Path;

pub fn run(root: &Path, real: Option<&Path>, settings: &Settings, check: bool) -> anyhow::Result<()> {
    let rows = real.map(train::read_real).transpose()?;
    let real = real.zip(rows.as_deref());
    let started = std::time::Instant::now();
    let t = train::train(root, real, settings)?;
    let ms = started.elapsed().as_millis();
    if check {
        let same = |rel: &str, want: &[u8]| std::fs::read(root.join(rel)).is_ok_and(|have| have == want);
        if same(MODEL_BIN, &t.bin) && same(MODEL_TOML, t.provenance.as_bytes()) {
            println!("{MODEL_BIN} and {MODEL_TOML} are what these inputs produce");
            return Ok(());
        }
        eprintln!("{MODEL_BIN} / {MODEL_TOML} differ from what these inputs produce: run the train command again");
        std::process::exit(1);
    }
    train::write(root, &t)?;
    println!("wrote {MODEL_BIN} ({} bytes) and {MODEL_TOML}, trained in {ms} ms", t.bin.len());
    Ok(())
}
