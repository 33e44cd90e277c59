//! `wardcast setup`: finds a game's install and writes its GSI cfg.
//!
//! A game lives in one of the Steam libraries listed in Steam's
//! `libraryfolders.vdf` (Valve KeyValues text), under `steamapps/common/`
//! in the folder its [`wardcast_engine::Setup`] names (Dota 2: `dota 2
//! beta`, its cfg in `game/dota/cfg/gamestate_integration/`;
//! Counter-Strike 2: `Counter-Strike Global Offensive`, its cfg in
//! `game/csgo/cfg/`). The cfg carries a GSI auth token that is generated
//! once and kept owner-only in the config directory; `wardcast serve` then
//! requires it in every GSI body, of every game.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use wardcast_engine::Game;

use crate::{gsi_cfg, Error};

/// The cfg's file name (the game only loads `gamestate_integration_*.cfg`).
pub const CFG_NAME: &str = "gamestate_integration_wardcast.cfg";

/// How a game is set up, as the dashboard tells it.
#[derive(Clone)]
pub struct GameSetup {
    /// The game.
    pub game: &'static dyn Game,
    /// Where the cfg goes, relative to the Steam library.
    pub cfg_dir: String,
    /// The launch option to add, or "" when none is needed.
    pub launch_option: &'static str,
    /// The command that writes the cfg.
    pub command: String,
}

impl GameSetup {
    /// The set-up of the game named `name` (the default game if unknown).
    pub fn of(name: &str) -> Self {
        let game = crate::games::by_name(name).unwrap_or_else(crate::games::default_game);
        let info = game.info();
        let command = if std::ptr::addr_eq(game, crate::games::default_game()) {
            "wardcast setup".to_string()
        } else {
            format!("wardcast setup --game {}", info.name)
        };
        Self {
            game,
            cfg_dir: format!(
                "steamapps/common/{}/{}/",
                info.setup.install_dir, info.setup.cfg_dir
            ),
            launch_option: info.setup.launch_option.unwrap_or(""),
            command,
        }
    }
}

/// What the user must do in the game's launcher once, after setup.
pub fn launch_hint(game: &dyn Game) -> String {
    let title = game.info().title;
    match game.info().setup.launch_option {
        Some(option) => format!(
            "In Steam: {title} → Properties → General → Launch Options: add {option}, then restart {title}"
        ),
        None => format!(
            "{title} reads the cfg when it starts: restart {title} if it is running (no launch option is needed)"
        ),
    }
}

/// What `wardcast setup` was asked to do.
#[derive(Clone)]
pub struct SetupOptions {
    /// The game to set up.
    pub game: &'static dyn Game,
    /// The game's install folder; found through Steam when `None`.
    pub game_dir: Option<PathBuf>,
    /// The Steam root to read `libraryfolders.vdf` from, instead of the usual places.
    pub steam_dir: Option<PathBuf>,
    /// Where the broker listens (the cfg's uri).
    pub listen: SocketAddr,
    /// Where the GSI token is kept (default: [`default_gsi_token_path`]).
    pub gsi_token_file: Option<PathBuf>,
    /// Only print the cfg and where it would go; write nothing.
    pub print: bool,
}

/// What `run` did with the cfg file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// There was none; it was written.
    Written,
    /// It existed with other content; it was rewritten.
    Rewritten,
    /// It already had exactly this content.
    UpToDate,
    /// `--print`: nothing was written.
    Printed,
}

/// Where the GSI token is kept by default: `<config dir>/wardcast/gsi_token`.
pub fn default_gsi_token_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("wardcast").join("gsi_token"))
}

/// Reads the GSI token at `path`; `None` if there is no file (or it is empty).
/// Never creates it: only `wardcast setup` does.
pub fn read_gsi_token(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io(
            format!("cannot read the GSI token at {}", path.display()),
            e,
        )),
    }
}

/// The token `serve` should require when `--gsi-token` is not given, and the
/// file it came from: the one at `explicit` (which must then exist) or at the
/// default path if `setup` created it.
pub fn stored_gsi_token(explicit: Option<&Path>) -> Result<Option<(String, PathBuf)>, Error> {
    match explicit {
        Some(path) => match read_gsi_token(path)? {
            Some(token) => Ok(Some((token, path.to_path_buf()))),
            None => Err(Error::Input(format!(
                "no GSI token in {0}: run `wardcast setup --gsi-token-file {0}` first",
                path.display()
            ))),
        },
        None => match default_gsi_token_path() {
            Some(path) => Ok(read_gsi_token(&path)?.map(|t| (t, path))),
            None => Ok(None),
        },
    }
}

/// The cfg's path inside `install`, the game's install folder.
pub fn cfg_path(game: &dyn Game, install: &Path) -> PathBuf {
    join_rel(install, game.info().setup.cfg_dir).join(CFG_NAME)
}

/// `base` joined with a `/`-separated relative path, one part at a time.
fn join_rel(base: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|p| !p.is_empty())
        .fold(base.to_path_buf(), |path, part| path.join(part))
}

/// Runs `wardcast setup`, reporting to `out`.
pub fn run(options: &SetupOptions, out: &mut impl Write) -> Result<Outcome, Error> {
    if options.listen.port() == 0 {
        return Err(Error::Input(format!(
            "--listen {} has no port: the game needs a fixed one to post to",
            options.listen
        )));
    }
    let game = options.game;
    let title = game.info().title;
    let dota = match &options.game_dir {
        Some(dir) => check_game_dir(game, dir),
        None => {
            let roots = match &options.steam_dir {
                Some(root) => vec![root.clone()],
                None => default_steam_roots(),
            };
            find_game(game, &roots)
        }
    };
    let token_path = match options
        .gsi_token_file
        .clone()
        .or_else(default_gsi_token_path)
    {
        Some(path) => path,
        None => {
            return Err(Error::Input(
                "no config directory for the GSI token: pass --gsi-token-file FILE".into(),
            ))
        }
    };
    if options.print {
        return print_only(options, dota, &token_path, out);
    }
    let dota = dota.map_err(Error::Input)?;
    let target = cfg_path(game, &dota);
    let token_existed = read_gsi_token(&token_path)?.is_some();
    let token = crate::token::load_or_create(&token_path).map_err(|e| match e {
        Error::Io(_, e) => Error::Io(
            format!("cannot write the GSI token at {}", token_path.display()),
            e,
        ),
        other => other,
    })?;
    let content = gsi_cfg::render(game, options.listen, Some(&token));
    let outcome = match std::fs::read(&target) {
        Ok(old) if old == content.as_bytes() => Outcome::UpToDate,
        Ok(_) => Outcome::Rewritten,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Written,
        Err(e) => return Err(Error::Io(format!("cannot read {}", target.display()), e)),
    };
    if outcome != Outcome::UpToDate {
        write_cfg(title, &target, &content)?;
    }

    let _ = writeln!(out, "{:<12}{}", format!("{title}:"), dota.display());
    let _ = match outcome {
        Outcome::UpToDate => writeln!(out, "GSI cfg:    already up to date: {}", target.display()),
        Outcome::Rewritten => writeln!(
            out,
            "GSI cfg:    rewrote {} (its content had changed)",
            target.display()
        ),
        _ => writeln!(out, "GSI cfg:    wrote {}", target.display()),
    };
    let _ = writeln!(
        out,
        "GSI token:  {} ({}); `wardcast serve` requires it in every GSI body",
        token_path.display(),
        if token_existed { "kept" } else { "created" }
    );
    let mut serve = String::from("wardcast serve");
    if options.listen.to_string() != "127.0.0.1:7314" {
        serve.push_str(&format!(" --listen {}", options.listen));
    }
    if options.gsi_token_file.is_some() {
        serve.push_str(&format!(" --gsi-token-file {}", token_path.display()));
    }
    let _ = writeln!(
        out,
        "The game posts to {}: run `{serve}`.",
        gsi_cfg::gsi_uri(options.listen)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}.", launch_hint(game));
    Ok(outcome)
}

/// `--print`: the cfg and where it goes; nothing is created.
fn print_only(
    options: &SetupOptions,
    dota: Result<PathBuf, String>,
    token_path: &Path,
    out: &mut impl Write,
) -> Result<Outcome, Error> {
    let token = read_gsi_token(token_path)?;
    let game = options.game;
    match &dota {
        Ok(dota) => {
            let _ = writeln!(out, "Target: {}", cfg_path(game, dota).display());
        }
        Err(why) => {
            let install =
                Path::new("<Steam library>/steamapps/common").join(game.info().setup.install_dir);
            let _ = writeln!(
                out,
                "Target: {} ({why})",
                cfg_path(game, &install).display()
            );
        }
    }
    if token.is_none() {
        let _ = writeln!(
            out,
            "No GSI token yet at {}: `wardcast setup` without --print generates it; until then this cfg has no auth block.",
            token_path.display()
        );
    }
    let _ = writeln!(out);
    let _ = write!(
        out,
        "{}",
        gsi_cfg::render(game, options.listen, token.as_deref())
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}.", launch_hint(game));
    Ok(Outcome::Printed)
}

/// Writes `content` to `path` through a temporary file and a rename, so the
/// game never reads half a file. Owner-only: it holds the token.
fn write_cfg(title: &str, path: &Path, content: &str) -> Result<(), Error> {
    let io = |e| {
        Error::Io(
            format!(
                "cannot write {} (is the {title} folder writable by this user?)",
                path.display()
            ),
            e,
        )
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(".{CFG_NAME}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(content.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Whether `dir` looks like the game's install folder.
fn is_install(game: &dyn Game, dir: &Path) -> bool {
    join_rel(dir, game.info().setup.marker).is_dir()
}

/// The game's install folder in a Steam library.
pub fn install_in(game: &dyn Game, library: &Path) -> PathBuf {
    library
        .join("steamapps")
        .join("common")
        .join(game.info().setup.install_dir)
}

/// `--game-dir`: the game's install folder itself, or a folder holding it.
fn check_game_dir(game: &dyn Game, dir: &Path) -> Result<PathBuf, String> {
    let setup = game.info().setup;
    [
        dir.to_path_buf(),
        dir.join(setup.install_dir),
        install_in(game, dir),
    ]
    .into_iter()
    .find(|d| is_install(game, d))
    .ok_or_else(|| {
        format!(
            "--game-dir {} is not a {} install: it has no {} folder (pass the \"{}\" folder)",
            dir.display(),
            game.info().title,
            setup.marker,
            setup.install_dir
        )
    })
}

/// Where Steam is usually installed on this platform.
pub fn default_steam_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let home = dirs::home_dir();
    if cfg!(windows) {
        for var in ["ProgramFiles(x86)", "ProgramFiles"] {
            if let Some(dir) = std::env::var_os(var) {
                roots.push(PathBuf::from(dir).join("Steam"));
            }
        }
        roots.push(PathBuf::from(r"C:\Program Files (x86)\Steam"));
    } else if cfg!(target_os = "macos") {
        if let Some(home) = &home {
            roots.push(home.join("Library/Application Support/Steam"));
        }
    } else {
        if let Some(home) = &home {
            roots.push(home.join(".steam/steam"));
            roots.push(home.join(".local/share/Steam"));
        }
        if let Some(data) = dirs::data_dir() {
            roots.push(data.join("Steam"));
        }
        if let Some(home) = &home {
            roots.push(home.join(".var/app/com.valvesoftware.Steam/.local/share/Steam"));
        }
    }
    dedup_paths(roots)
}

/// Drops repeated paths (also the same folder through a symlink), keeping order.
fn dedup_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for path in paths {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !seen.contains(&key) {
            seen.push(key);
            out.push(path);
        }
    }
    out
}

/// Finds the game's install folder in the libraries of the Steam roots
/// `roots`, or says (in one line) where it looked.
pub fn find_game(game: &dyn Game, roots: &[PathBuf]) -> Result<PathBuf, String> {
    let mut libraries = Vec::new();
    for root in roots {
        for vdf in [
            root.join("steamapps").join("libraryfolders.vdf"),
            root.join("config").join("libraryfolders.vdf"),
        ] {
            if let Ok(text) = std::fs::read_to_string(&vdf) {
                libraries.extend(parse_libraries(&text));
            }
        }
        // The Steam root is a library itself, even if no vdf says so.
        libraries.push(Library {
            path: root.clone(),
            apps: Vec::new(),
        });
    }
    if let Some(found) = choose(game, &libraries, |d| is_install(game, d)) {
        return Ok(found);
    }
    let looked = dedup_paths(libraries.into_iter().map(|l| l.path).collect());
    let looked: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "{} not found in the Steam libraries {}; pass --game-dir \"<Steam library>/steamapps/common/{}\" (or --steam-dir STEAM)",
        game.info().title,
        if looked.is_empty() {
            "(none)".to_string()
        } else {
            looked.join(", ")
        },
        game.info().setup.install_dir
    ))
}

/// A Steam library from `libraryfolders.vdf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// The library folder (it holds `steamapps`).
    pub path: PathBuf,
    /// The app ids installed there (empty in the old file format).
    pub apps: Vec<String>,
}

/// The libraries of a `libraryfolders.vdf`, in the current format
/// (`"0" { "path" "..." "apps" { "570" "..." } }`) or the old one (`"1" "D:\\Lib"`).
pub fn parse_libraries(vdf: &str) -> Vec<Library> {
    let root = parse_kv(vdf);
    let folders = root.get("libraryfolders").unwrap_or(&root);
    folders
        .entries()
        .iter()
        .filter_map(|(key, value)| match value {
            Kv::Block(_) => Some(Library {
                path: PathBuf::from(value.get("path")?.as_str()?),
                apps: value
                    .get("apps")
                    .map(|apps| apps.entries().iter().map(|(k, _)| k.clone()).collect())
                    .unwrap_or_default(),
            }),
            Kv::Str(path) if key.parse::<u32>().is_ok() => Some(Library {
                path: PathBuf::from(path),
                apps: Vec::new(),
            }),
            Kv::Str(_) => None,
        })
        .collect()
}

/// The game's install folder to use: first in a library that lists its app
/// id, else in any library where `is_install` finds it.
pub fn choose(
    game: &dyn Game,
    libraries: &[Library],
    is_install: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let app = game.info().app_id.to_string();
    let lists_game = |l: &&Library| l.apps.contains(&app);
    libraries
        .iter()
        .filter(lists_game)
        .chain(libraries.iter().filter(|l| !lists_game(l)))
        .map(|l| install_in(game, &l.path))
        .find(|d| is_install(d))
}

/// A Valve KeyValues value: a string or an ordered block of pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kv {
    /// `"key" "value"`.
    Str(String),
    /// `"key" { ... }`.
    Block(Vec<(String, Kv)>),
}

impl Kv {
    /// The first value under `key` (case-insensitive) in a block.
    pub fn get(&self, key: &str) -> Option<&Kv> {
        self.entries()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Kv::Str(s) => Some(s),
            Kv::Block(_) => None,
        }
    }

    /// The pairs of a block (none for a string).
    pub fn entries(&self) -> &[(String, Kv)] {
        match self {
            Kv::Block(entries) => entries,
            Kv::Str(_) => &[],
        }
    }
}

enum Token {
    Str(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => tokens.push(Token::Open),
            '}' => tokens.push(Token::Close),
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match (c, chars.peek().copied()) {
                        ('"', _) => break,
                        ('\\', Some(e @ ('\\' | '"'))) => {
                            s.push(e);
                            chars.next();
                        }
                        ('\\', Some('n')) => {
                            s.push('\n');
                            chars.next();
                        }
                        ('\\', Some('t')) => {
                            s.push('\t');
                            chars.next();
                        }
                        _ => s.push(c),
                    }
                }
                tokens.push(Token::Str(s));
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => {}
            c => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | '"') {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                // `[$WIN32]` conditions are ignored.
                if !s.starts_with('[') {
                    tokens.push(Token::Str(s));
                }
            }
        }
    }
    tokens
}

fn parse_block(tokens: &mut impl Iterator<Item = Token>, nested: bool) -> Vec<(String, Kv)> {
    let mut entries = Vec::new();
    while let Some(token) = tokens.next() {
        let key = match token {
            Token::Str(key) => key,
            Token::Close if nested => return entries,
            Token::Close => continue,
            Token::Open => {
                parse_block(tokens, true);
                continue;
            }
        };
        match tokens.next() {
            Some(Token::Str(value)) => entries.push((key, Kv::Str(value))),
            Some(Token::Open) => entries.push((key, Kv::Block(parse_block(tokens, true)))),
            Some(Token::Close) if nested => return entries,
            Some(Token::Close) | None => {}
        }
    }
    entries
}

/// Parses KeyValues text tolerantly (quoted or bare strings, `\\` `\"` `\n`
/// `\t` escapes, nested blocks, `//` comments; unbalanced braces are
/// forgiven) into a top-level block.
pub fn parse_kv(text: &str) -> Kv {
    Kv::Block(parse_block(&mut tokenize(text).into_iter(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS_VDF: &str = r#"
"libraryfolders"
{
	"0"
	{
		"path"		"C:\\Program Files (x86)\\Steam"
		"label"		""
		"contentid"		"4212360731932839911"
		"totalsize"		"0"
		"apps"
		{
			"228980"		"178978354"
			"250820"		"5460419848"
		}
	}
	// the second drive
	"1"
	{
		"path"		"D:\\SteamLibrary"
		"label"		"games \"fast\""
		"apps"
		{
			"570"		"38201437651"   // Dota 2
		}
	}
}
"#;

    #[test]
    fn parses_windows_paths_escapes_comments_and_apps() {
        let libraries = parse_libraries(WINDOWS_VDF);
        assert_eq!(
            libraries,
            vec![
                Library {
                    path: PathBuf::from(r"C:\Program Files (x86)\Steam"),
                    apps: vec!["228980".into(), "250820".into()],
                },
                Library {
                    path: PathBuf::from(r"D:\SteamLibrary"),
                    apps: vec!["570".into()],
                },
            ]
        );
        let kv = parse_kv(WINDOWS_VDF);
        let second = kv.get("LibraryFolders").and_then(|f| f.get("1"));
        assert_eq!(
            second.and_then(|s| s.get("label")).and_then(Kv::as_str),
            Some("games \"fast\"")
        );
    }

    #[test]
    fn parses_the_old_format_bare_words_and_broken_text() {
        let old = "\"LibraryFolders\"\n{\n\t\"TimeNextStatsReport\"\t\"1700000000\"\n\t\"ContentStatsID\"\t\"-42\"\n\t\"1\"\t\"/mnt/games/steam\"\n}\n";
        assert_eq!(
            parse_libraries(old),
            vec![Library {
                path: PathBuf::from("/mnt/games/steam"),
                apps: vec![],
            }]
        );
        // Bare words, conditions, an unknown escape kept as is, a missing brace.
        let kv = parse_kv("root { key value [$WIN32] path \"C:\\Games\" inner { a \"1\" }");
        let root = kv.get("root").expect("root");
        assert_eq!(root.get("key").and_then(Kv::as_str), Some("value"));
        assert_eq!(root.get("path").and_then(Kv::as_str), Some(r"C:\Games"));
        assert_eq!(
            root.get("inner")
                .and_then(|i| i.get("a"))
                .and_then(Kv::as_str),
            Some("1")
        );
        assert_eq!(parse_kv("} \"k\" \"v\" }"), parse_kv("\"k\" \"v\""));
        assert_eq!(parse_kv(""), Kv::Block(vec![]));
    }

    #[test]
    fn prefers_the_library_listing_570_and_else_any_with_the_folder() {
        let libraries = vec![
            Library {
                path: "/a".into(),
                apps: vec!["10".into()],
            },
            Library {
                path: "/b".into(),
                apps: vec![],
            },
            Library {
                path: "/c".into(),
                apps: vec!["570".into()],
            },
        ];
        let dota = |lib: &str| install_in(&wardcast_dota2::GAME, Path::new(lib));
        assert_eq!(
            choose(&wardcast_dota2::GAME, &libraries, |_| true),
            Some(dota("/c"))
        );
        // The library listing 570 has no folder (a stale vdf): any that has one.
        assert_eq!(
            choose(&wardcast_dota2::GAME, &libraries, |d| d == dota("/b")),
            Some(dota("/b"))
        );
        assert_eq!(choose(&wardcast_dota2::GAME, &libraries, |_| false), None);
    }

    #[test]
    fn finds_dota_through_the_vdf_and_says_where_it_looked() {
        let base = std::env::temp_dir().join(format!("wardcast-setup-unit-{}", std::process::id()));
        let root = base.join("steam");
        let library = base.join("library");
        std::fs::create_dir_all(root.join("config")).expect("mkdir");
        std::fs::create_dir_all(
            install_in(&wardcast_dota2::GAME, &library)
                .join("game")
                .join("dota"),
        )
        .expect("mkdir");
        let vdf = format!(
            "\"libraryfolders\" {{ \"0\" {{ \"path\" \"{}\" }} \"1\" {{ \"path\" \"{}\" \"apps\" {{ \"570\" \"1\" }} }} }}",
            root.display().to_string().replace('\\', "\\\\"),
            library.display().to_string().replace('\\', "\\\\")
        );
        std::fs::write(root.join("config").join("libraryfolders.vdf"), vdf).expect("write");
        assert_eq!(
            find_game(&wardcast_dota2::GAME, std::slice::from_ref(&root)),
            Ok(install_in(&wardcast_dota2::GAME, &library))
        );
        assert_eq!(
            check_game_dir(&wardcast_dota2::GAME, &library),
            Ok(install_in(&wardcast_dota2::GAME, &library))
        );

        let missing = base.join("nothing");
        let why = find_game(&wardcast_dota2::GAME, std::slice::from_ref(&missing))
            .expect_err("not found");
        assert!(why.contains("--game-dir") && why.contains(&missing.display().to_string()));
        assert!(!why.contains('\n'));
        assert!(check_game_dir(&wardcast_dota2::GAME, &missing)
            .expect_err("not dota")
            .contains("--game-dir"));
        let _ = std::fs::remove_dir_all(base);
    }
}
