//! Files the server keeps in its data dir for the command line run by the
//! same user: the admin token (`admin.token`, mode 0600, sent by the CLI as
//! `Authorization: Bearer …`) and the address it listens on
//! (`server.addr`), so a command finds the server that holds a data dir.

use crate::config::Secret;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;

pub const TOKEN_FILE: &str = "admin.token";
pub const ADDR_FILE: &str = "server.addr";

/// The data dir's admin token, created (mode 0600) when missing. A token
/// file that others can read is narrowed to the owner again.
pub fn load_or_create_token(data_dir: &Path) -> std::io::Result<Secret> {
    // With PostgreSQL nothing else creates the dir (review N7).
    create_private_dir(data_dir)?;
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().len() >= 32 => {
            restrict(&path)?;
            return Ok(Secret::new(t.trim()));
        }
        Ok(_) => std::fs::remove_file(&path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let token = format!("{}{}", crate::app::new_token(), crate::app::new_token());
    let mut f = owner_only().open(&path)?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    Ok(Secret::new(token))
}

/// Creates `dir` (and its parents) when missing; a new data dir is for
/// its owner only (mode 0700).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Options that create a new file only its owner may read (mode 0600).
#[cfg(unix)]
pub fn owner_only() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true).mode(0o600);
    o
}

#[cfg(not(unix))]
pub fn owner_only() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    o
}

#[cfg(unix)]
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(file = %path.display(), "admin token was readable by others: narrowed to the owner");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes the address the server listens on into the data dir.
pub fn announce(data_dir: &Path, addr: SocketAddr) -> std::io::Result<()> {
    let tmp = data_dir.join(format!("{ADDR_FILE}.tmp"));
    std::fs::write(&tmp, addr.to_string())?;
    std::fs::rename(tmp, data_dir.join(ADDR_FILE))
}
