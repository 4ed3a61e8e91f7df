//! What each sled tree of a data dir holds (keys, key and value bytes)
//! against the size of sled's file: where the disk per message goes.
//!   cargo run --release --example tree_sizes -- DIR [TREE]
//! With TREE, also prints that tree's first two values.
//! The data dir must not be in use (sled admits one process).

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("give the data dir"))?;
    let db = sled::Config::new().path(&dir).open()?;
    for name in db.tree_names() {
        let tree = db.open_tree(&name)?;
        let (mut n, mut keys, mut values) = (0usize, 0usize, 0usize);
        for kv in tree.iter() {
            let (k, v) = kv?;
            n += 1;
            keys += k.len();
            values += v.len();
        }
        println!("{:<20} {n:>9} keys {keys:>11} B keys {values:>12} B values", String::from_utf8_lossy(&name));
    }
    println!("sled's file: {} B", db.size_on_disk()?);
    if let Some(name) = std::env::args().nth(2) {
        for kv in db.open_tree(&name)?.iter().take(2) {
            println!("{}", String::from_utf8_lossy(&kv?.1));
        }
    }
    Ok(())
}
