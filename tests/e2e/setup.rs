//! `wardcast setup` on a fake Steam tree: finds Dota 2 through
//! `libraryfolders.vdf`, writes the cfg with a stored GSI token, is idempotent,
//! `--print` writes nothing; then `serve` requires that token.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::util::*;

/// A temporary folder, removed on drop.
pub(crate) struct TempTree(pub(crate) PathBuf);

impl TempTree {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "wardcast-e2e-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        Self(dir)
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The wardcast binary, with the developer's own environment left out.
pub(crate) fn wardcast() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wardcast"));
    cmd.kill_on_drop(true).env("RUST_LOG", "warn");
    cmd.env_remove("WARDCAST_LISTEN")
        .env_remove("WARDCAST_GSI_TOKEN");
    cmd
}

async fn run(args: &[&str]) -> (Output, String, String) {
    let output = within("wardcast setup", wardcast().args(args).output())
        .await
        .expect("run wardcast");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

fn vdf_path(path: &Path) -> String {
    path.display().to_string().replace('\\', "\\\\")
}

/// `<base>/steam` whose vdf lists `<base>/lib one` (no Dota) and
/// `<base>/lib two` (Dota, app 570). Returns the root and the Dota folder.
fn fake_steam(base: &Path) -> (PathBuf, PathBuf) {
    let root = base.join("steam");
    let first = base.join("lib one");
    let second = base.join("lib two");
    let dota = second.join("steamapps/common/dota 2 beta");
    std::fs::create_dir_all(root.join("steamapps")).expect("mkdir");
    std::fs::create_dir_all(first.join("steamapps/common/Half-Life 2")).expect("mkdir");
    std::fs::create_dir_all(dota.join("game/dota")).expect("mkdir");
    let vdf = format!(
        r#""libraryfolders"
{{
	"0"
	{{
		"path"		"{}"
		"label"		""
		"apps"
		{{
			"220"		"4000000000"
		}}
	}}
	// a second drive
	"1"
	{{
		"path"		"{}"
		"apps"
		{{
			"570"		"38201437651"
		}}
	}}
}}
"#,
        vdf_path(&first),
        vdf_path(&second)
    );
    std::fs::write(root.join("steamapps/libraryfolders.vdf"), vdf).expect("write vdf");
    (root, dota)
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[tokio::test]
async fn setup_writes_the_cfg_once_and_serve_requires_its_token() {
    let tree = TempTree::new("setup");
    let (root, dota) = fake_steam(&tree.0);
    let token_file = tree.0.join("config/gsi_token");
    let cfg = dota.join("game/dota/cfg/gamestate_integration/gamestate_integration_wardcast.cfg");
    let setup = |listen: &'static str| {
        let (root, token_file) = (root.clone(), token_file.clone());
        async move {
            run(&[
                "setup",
                "--steam-dir",
                s(&root),
                "--gsi-token-file",
                s(&token_file),
                "--listen",
                listen,
            ])
            .await
        }
    };

    // First run: the cfg and the token are created.
    let (output, stdout, stderr) = setup("127.0.0.1:7314").await;
    assert!(output.status.success(), "setup failed: {stderr}");
    assert!(stdout.contains("wrote"), "{stdout}");
    assert!(stdout.contains("-gamestateintegration"), "{stdout}");
    assert!(stdout.contains(s(&cfg)), "{stdout}");
    let token = std::fs::read_to_string(&token_file).expect("token file");
    let token = token.trim();
    assert_eq!(token.len(), 32, "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&token_file), 0o600);
        assert_eq!(mode(&cfg), 0o600);
    }
    let text = std::fs::read_to_string(&cfg).expect("cfg written");
    assert!(
        text.contains("\"uri\"           \"http://127.0.0.1:7314/gsi\""),
        "{text}"
    );
    for section in wardcast_engine::Game::info(&wardcast_dota2::GAME)
        .setup
        .data
    {
        assert!(
            text.contains(&format!("\"{section}\"")),
            "{section}: {text}"
        );
    }
    for key in ["timeout", "buffer", "throttle", "heartbeat"] {
        assert!(text.contains(&format!("\"{key}\"")), "{key}: {text}");
    }
    assert!(
        text.contains(&format!("\"token\"         \"{token}\"")),
        "{text}"
    );
    let listing = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let cfg_dir = cfg.parent().expect("cfg dir").to_path_buf();
    assert_eq!(
        listing(&cfg_dir),
        vec!["gamestate_integration_wardcast.cfg"]
    );

    // Second run: nothing changes.
    let (output, stdout, stderr) = setup("127.0.0.1:7314").await;
    assert!(output.status.success(), "setup failed: {stderr}");
    assert!(stdout.contains("already up to date"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&cfg).expect("cfg"), text);
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("token").trim(),
        token
    );

    // Another port: rewritten, and said so; the token stays.
    let (output, stdout, _) = setup("127.0.0.1:7315").await;
    assert!(output.status.success());
    assert!(stdout.contains("rewrote"), "{stdout}");
    let other = std::fs::read_to_string(&cfg).expect("cfg");
    assert!(other.contains("http://127.0.0.1:7315/gsi"), "{other}");
    assert!(other.contains(token), "{other}");
    let (output, stdout, _) = setup("127.0.0.1:7314").await;
    assert!(output.status.success());
    assert!(stdout.contains("rewrote"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&cfg).expect("cfg"), text);
    assert_eq!(
        listing(&cfg_dir),
        vec!["gamestate_integration_wardcast.cfg"]
    );

    // --print shows the cfg with the token and writes nothing.
    let modified = std::fs::metadata(&cfg)
        .expect("meta")
        .modified()
        .expect("mtime");
    let (output, stdout, stderr) = run(&[
        "setup",
        "--print",
        "--steam-dir",
        s(&root),
        "--gsi-token-file",
        s(&token_file),
        "--listen",
        "127.0.0.1:7399",
    ])
    .await;
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains(s(&cfg)), "{stdout}");
    assert!(stdout.contains("http://127.0.0.1:7399/gsi"), "{stdout}");
    assert!(stdout.contains(token), "{stdout}");
    assert_eq!(std::fs::read_to_string(&cfg).expect("cfg"), text);
    assert_eq!(
        std::fs::metadata(&cfg)
            .expect("meta")
            .modified()
            .expect("mtime"),
        modified
    );
    assert_eq!(
        listing(&cfg_dir),
        vec!["gamestate_integration_wardcast.cfg"]
    );

    // --print without a token yet: no auth block, and no token file created;
    // --dota-dir names a fresh install, which gets no cfg.
    let fresh = tree.0.join("elsewhere/dota 2 beta");
    std::fs::create_dir_all(fresh.join("game/dota")).expect("mkdir");
    let no_token = tree.0.join("config/not_yet");
    let (output, stdout, stderr) = run(&[
        "setup",
        "--print",
        "--dota-dir",
        s(&fresh),
        "--gsi-token-file",
        s(&no_token),
    ])
    .await;
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("No GSI token yet"), "{stdout}");
    assert!(!stdout.contains("\"auth\""), "{stdout}");
    assert!(stdout.contains("http://127.0.0.1:7314/gsi"), "{stdout}");
    assert!(!no_token.exists());
    assert_eq!(listing(&fresh.join("game/dota")), Vec::<String>::new());

    // No Dota anywhere: a one-line error naming --game-dir, nothing created.
    let empty = tree.0.join("empty steam");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let (output, stdout, stderr) = run(&[
        "setup",
        "--steam-dir",
        s(&empty),
        "--gsi-token-file",
        s(&no_token),
    ])
    .await;
    assert!(!output.status.success(), "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--game-dir"), "{stderr}");
    assert!(stderr.contains(s(&empty)), "{stderr}");
    assert!(!no_token.exists());

    // serve requires the stored token.
    let mut child = wardcast()
        .args(["serve", "--listen", "127.0.0.1:0", "--gsi-token-file"])
        .env("RUST_LOG", "error")
        .arg(&token_file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn wardcast");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = within("banner", lines.next_line())
        .await
        .expect("read")
        .expect("a banner line");
    assert!(first.contains("listening on"), "{first}");
    let addr = first.rsplit(' ').next().expect("address").to_string();
    loop {
        let line = within("banner", lines.next_line())
            .await
            .expect("read")
            .expect("a GSI token line in the banner");
        if line.contains("GSI token:") {
            assert!(line.contains(s(&token_file)), "{line}");
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let http = reqwest_lite::Client::new();
    let url = format!("http://{addr}/gsi");
    let mut body = lifecycle()[0].clone();
    body.as_object_mut().expect("object").remove("auth");
    let (status, text) = within(
        "post without token",
        http.post(&url, serde_json::to_vec(&body).expect("json")),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    body["auth"] = json!({ "token": "not-the-token" });
    let (status, _) = within(
        "post with a wrong token",
        http.post(&url, serde_json::to_vec(&body).expect("json")),
    )
    .await;
    assert_eq!(status, 401);
    body["auth"] = json!({ "token": token });
    let (status, text) = within(
        "post with the token",
        http.post(&url, serde_json::to_vec(&body).expect("json")),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    child.start_kill().expect("kill");
    within("exit", child.wait()).await.expect("wait");

    // An explicit token file that does not exist is an error, and serve does not create it.
    let (output, _, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--gsi-token-file",
        s(&no_token),
    ])
    .await;
    assert!(!output.status.success());
    assert!(stderr.contains("wardcast setup"), "{stderr}");
    assert!(!no_token.exists());
}

/// With no `--steam-dir` or `--dota-dir`, `setup` looks where Steam installs
/// itself by default: on Linux, `~/.steam/steam` (and `~/.local/share/Steam`,
/// the Flatpak folder). A fake home with Steam in `~/.local/share/Steam`,
/// whose library lists Dota 2 on a second drive, is found and written to.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn setup_finds_steam_in_its_default_folder_under_home() {
    let tree = TempTree::new("home");
    let home = tree.0.join("home");
    let (root, dota) = fake_steam(&tree.0.join("drives"));
    let default = home.join(".local/share");
    std::fs::create_dir_all(&default).expect("mkdir");
    std::fs::rename(&root, default.join("Steam")).expect("move steam under home");
    let token_file = tree.0.join("config/gsi_token");
    let output = within(
        "wardcast setup",
        wardcast()
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .args(["setup", "--gsi-token-file", s(&token_file)])
            .output(),
    )
    .await
    .expect("run wardcast");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let cfg = dota.join("game/dota/cfg/gamestate_integration/gamestate_integration_wardcast.cfg");
    let text = std::fs::read_to_string(&cfg).expect("the cfg was written under the default Steam");
    let token = std::fs::read_to_string(&token_file).expect("token");
    assert!(text.contains(token.trim()), "{text}");
    assert!(stdout.contains(s(&cfg)), "{stdout}");
}
