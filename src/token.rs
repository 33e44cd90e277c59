//! The access token LAN clients present, kept in the user's config directory.
//!
//! It is generated on first use (122 random bits), written with owner-only
//! permissions, and replaced by `wardcast token --rotate`. It is printed on the
//! terminal at start and never logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

/// Where the token lives by default: `<config dir>/wardcast/token`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("wardcast").join("token"))
}

/// Reads the token at `path`, creating it if there is none.
pub fn load_or_create(path: &Path) -> Result<String, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Ok(_) => rotate(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => rotate(path),
        Err(e) => Err(Error::Io(
            format!("cannot read the access token at {}", path.display()),
            e,
        )),
    }
}

/// Writes a new token at `path` (owner-only) and returns it.
pub fn rotate(path: &Path) -> Result<String, Error> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let io = |e| {
        Error::Io(
            format!("cannot write the access token at {}", path.display()),
            e,
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    // An existing file keeps its mode on open: make it owner-only again.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(format!("{token}\n").as_bytes())
        .map_err(io)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_owner_only_and_rotated() {
        let dir = std::env::temp_dir().join(format!("wardcast-token-{}", std::process::id()));
        let path = dir.join("nested").join("token");
        let first = load_or_create(&path).expect("create");
        assert_eq!(first.len(), 32);
        assert_eq!(load_or_create(&path).expect("read"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let second = rotate(&path).expect("rotate");
        assert_ne!(first, second);
        assert_eq!(load_or_create(&path).expect("read"), second);
        let _ = std::fs::remove_dir_all(dir);
    }
}
