//! The `wardcast` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use wardcast::{gsi_cfg, replay, setup, Config, DemoMode, DemoOptions};

/// Game State Integration in (Dota 2, Counter-Strike 2), Overwolf-compatible game events out over WebSocket.
#[derive(Debug, Parser)]
#[command(name = "wardcast", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the broker (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Run the broker with the built-in demo match playing until a game connects
    /// (the same as `serve --demo`).
    ///
    /// Dota 2 by default: each loop starts in the game, seconds before a kill
    /// and a death; `--from-draft` plays the whole lifecycle instead.
    /// `--game cs2` plays a real Counter-Strike 2 match's recording, looped.
    Demo(ServeArgs),
    /// Post a recording to a running broker at the recorded pace.
    Replay(ReplayArgs),
    /// Print the access token LAN clients need, or replace it with --rotate.
    Token(TokenArgs),
    /// Find a game (Dota 2, or Counter-Strike 2 with `--game cs2`) and write
    /// its Game State Integration cfg (with a GSI token that `serve` then requires).
    Setup(SetupArgs),
    /// List the Wardcast brokers on the LAN (mDNS/DNS-SD `_wardcast._tcp`).
    Discover(DiscoverArgs),
}

/// `--game NAME`: one of the games Wardcast serves.
fn game_arg(name: &str) -> Result<&'static dyn wardcast_engine::Game, String> {
    wardcast::games::by_name(name).ok_or_else(|| {
        format!(
            "unknown game {name:?}: use one of {}",
            wardcast::games::names().join(", ")
        )
    })
}

#[derive(Debug, Args)]
struct SetupArgs {
    /// The game to set up: `dota2` or `cs2`.
    #[arg(long, default_value = "dota2", value_name = "GAME", value_parser = game_arg)]
    game: &'static dyn wardcast_engine::Game,
    /// The game's install folder ("dota 2 beta", "Counter-Strike Global
    /// Offensive"; default: found through Steam's libraryfolders.vdf).
    #[arg(long, value_name = "DIR", alias = "dota-dir")]
    game_dir: Option<PathBuf>,
    /// The Steam folder whose libraries to search (default: the usual places).
    #[arg(long, value_name = "DIR")]
    steam_dir: Option<PathBuf>,
    /// Where the broker will listen: the cfg makes the game post there.
    #[arg(long, default_value = "127.0.0.1:7314", env = "WARDCAST_LISTEN")]
    listen: SocketAddr,
    /// Where the GSI token is kept (default: <config dir>/wardcast/gsi_token).
    #[arg(long, value_name = "FILE")]
    gsi_token_file: Option<PathBuf>,
    /// Only print the cfg and where it goes; write nothing.
    #[arg(long)]
    print: bool,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// Replace the token with a new one (clients must then use the new one).
    #[arg(long)]
    rotate: bool,
    /// Where the token is kept (default: <config dir>/wardcast/token).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Address of the one HTTP port: GSI (POST /gsi), WebSocket (GET /ws), health (GET /healthz).
    #[arg(long, default_value = "127.0.0.1:7314", env = "WARDCAST_LISTEN")]
    listen: SocketAddr,
    /// Largest accepted GSI body in bytes; larger bodies get 413.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    max_gsi_body: usize,
    /// Require this `auth.token` in GSI bodies; others get 401 and are dropped
    /// (default: the token `wardcast setup` stored, if it did).
    #[arg(long, env = "WARDCAST_GSI_TOKEN")]
    gsi_token: Option<String>,
    /// Where `wardcast setup` stored the GSI token (default: <config dir>/wardcast/gsi_token).
    /// Used when --gsi-token is not given (--gsi-token wins); never created here.
    #[arg(long, value_name = "FILE")]
    gsi_token_file: Option<PathBuf>,
    /// Append every accepted GSI body to this file, one JSON line each.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Play the built-in demo match in a loop until a real game posts.
    #[arg(long)]
    demo: bool,
    /// The demo match's game, and the one the banner shows how to connect:
    /// `dota2` or `cs2` (a source's game is told by each body's
    /// `provider.appid`, whatever this says).
    #[arg(long, default_value = "dota2", value_name = "GAME", value_parser = game_arg)]
    game: &'static dyn wardcast_engine::Game,
    /// Which Dota 2 demo match: `player` (one player's view) or `spectator` (all ten
    /// players, Roshan, buildings, win chance).
    #[arg(long, default_value = "player", value_name = "MODE")]
    demo_mode: DemoMode,
    /// Start each demo loop at the main menu and the draft (the whole lifecycle in
    /// order) instead of in the game, seconds before a kill and a death.
    #[arg(long)]
    from_draft: bool,
    /// Demo playback speed (2 = twice as fast).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Game-clock seconds within which consecutive kills make a multi-kill label.
    #[arg(long, default_value_t = 18, value_name = "SECS")]
    multikill_window: i64,
    /// Serve the `chat` feature (chat_message events). Chat is private text, so it is off by default.
    #[arg(long)]
    allow_chat: bool,
    /// Require the access token from loopback clients too (always required from other addresses).
    #[arg(long)]
    require_token: bool,
    /// Also allow WebSocket connections from pages of this browser origin (repeatable),
    /// e.g. https://overlay.example.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Where the access token is kept (default: <config dir>/wardcast/token).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The id of this broker's own GSI source: `POST /gsi` feeds it, and clients
    /// that name no source get it. Other sources are posted to `POST /gsi/<ID>`
    /// and watched with `/ws?source=<ID>` (1-32 letters, digits, `_`, `-`).
    #[arg(long, default_value = "default", value_name = "ID")]
    source: String,
    /// The most sources (matches) served at once, each with its own history.
    #[arg(long, default_value_t = 64, value_name = "N")]
    max_sources: usize,
    /// Tournament mode: federate with other brokers over NATS JetStream
    /// (comma-separated server URLs, e.g. nats://10.0.0.5:4222).
    #[arg(long, value_name = "URL[,URL...]", value_delimiter = ',')]
    nats: Vec<String>,
    /// With --nats: `ingest` (GSI in, engine, publish), `edge` (WebSocket
    /// clients only) or `both`.
    #[arg(long, value_name = "ROLE", requires = "nats")]
    role: Option<RoleArg>,
    /// With --nats: a NATS token (never logged).
    #[arg(
        long,
        env = "WARDCAST_NATS_TOKEN",
        hide_env_values = true,
        requires = "nats"
    )]
    nats_token: Option<String>,
    /// With --nats: a NATS credentials file (JWT and nkey seed).
    #[arg(long, value_name = "FILE", requires = "nats")]
    nats_creds: Option<PathBuf>,
    /// With --nats: where the streams store, `file` (survives a NATS restart)
    /// or `memory` (faster; a NATS restart is a new epoch).
    #[arg(long, default_value = "file", value_name = "STORAGE")]
    nats_storage: NatsStorage,
    /// With --nats: how many servers of a NATS cluster keep each stream
    /// (3 or 5 in a cluster of at least that many; 1 for one server).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    nats_replicas: u8,
    /// The most simultaneous WebSocket clients; more get 503.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// The largest frame a client may send, in bytes; larger frames close with 1009.
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    max_client_frame: usize,
    /// Requests a client may send in a burst before -32005.
    #[arg(long, default_value_t = 100)]
    rate_burst: u32,
    /// Requests per second a client's budget refills by.
    #[arg(long, default_value_t = 20)]
    rate_per_sec: u32,
    /// Notifications kept for `resume`.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    history: usize,
    /// The oldest notification kept for `resume`, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    history_secs: u64,
    /// Seconds a client may take to send request headers (slowloris guard), and
    /// a GSI body in all, however slowly it is trickled (408 after).
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    request_timeout: u64,
    /// The most HTTP requests' connections served at once, WebSockets aside (more
    /// wait in the kernel's accept queue).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_http_connections: usize,
    /// Do not advertise `_wardcast._tcp` over mDNS when listening beyond loopback.
    #[arg(long)]
    no_mdns: bool,
    /// The UDP port for mDNS (tests use another to stay apart from real brokers).
    #[arg(long, default_value_t = wardcast::discovery::MDNS_PORT, hide = true)]
    mdns_port: u16,
}

#[derive(Debug, Args)]
struct DiscoverArgs {
    /// How long to listen for answers, in seconds.
    #[arg(long, default_value_t = 3.0, value_name = "SECS")]
    timeout: f64,
    /// Print JSON (one array) instead of a table.
    #[arg(long)]
    json: bool,
    /// The UDP port for mDNS.
    #[arg(long, default_value_t = wardcast::discovery::MDNS_PORT, hide = true)]
    mdns_port: u16,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// A recording from `serve --record` (JSON lines) or a JSON array of GSI bodies.
    file: PathBuf,
    /// Playback speed (2 = twice as fast).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Where to post.
    #[arg(long, default_value = "http://127.0.0.1:7314/gsi")]
    target: String,
    /// Gap between bodies of a JSON array, which carry no times.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    interval_ms: u64,
    /// Set `auth.token` in every body (for a broker run with --gsi-token).
    #[arg(long)]
    token: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wardcast: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => serve(cli.serve, false).await,
            Some(Command::Serve(args)) => serve(args, false).await,
            Some(Command::Demo(args)) => serve(args, true).await,
            Some(Command::Replay(args)) => replay_cmd(args).await,
            Some(Command::Token(args)) => token_cmd(args),
            Some(Command::Setup(args)) => setup_cmd(args),
            Some(Command::Discover(args)) => discover_cmd(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wardcast: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn serve(args: ServeArgs, demo: bool) -> Result<ExitCode, wardcast::Error> {
    let mut config = Config::default();
    config.ingest.max_body = args.max_gsi_body;
    let gsi_token = match &args.gsi_token {
        Some(token) => Some((
            token.clone(),
            "--gsi-token (or WARDCAST_GSI_TOKEN)".to_string(),
        )),
        None => wardcast::setup::stored_gsi_token(args.gsi_token_file.as_deref())?
            .map(|(token, path)| (token, path.display().to_string())),
    };
    config.ingest.token = gsi_token.as_ref().map(|(token, _)| token.clone());
    config.engine.multikill_window_secs = args.multikill_window;
    config.engine.allow_chat = args.allow_chat;
    wardcast_broker::validate_source_id(&args.source)
        .map_err(|e| wardcast::Error::Input(format!("--source: {e}")))?;
    config.broker.default_source = args.source.clone();
    config.broker.max_sources = args.max_sources.max(1);
    if !args.nats.is_empty() {
        config_federation(&mut config, &args)?;
    }
    config.broker.max_connections = args.max_connections;
    config.broker.max_client_frame = args.max_client_frame;
    config.broker.rate_burst = args.rate_burst.max(1);
    config.broker.rate_per_sec = args.rate_per_sec;
    config.broker.history = wardcast_broker::HistoryLimits {
        max_notifications: args.history,
        max_age: Duration::from_secs(args.history_secs),
        max_bytes: 16 * 1024 * 1024,
    };
    config.header_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.ingest.body_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.max_http_connections = args.max_http_connections.max(1);
    config.record = args.record.clone();
    if demo || args.demo {
        config.demo = Some(DemoOptions {
            game: args.game,
            speed: args.speed,
            mode: args.demo_mode,
            from_draft: args.from_draft,
            ..DemoOptions::default()
        });
    }
    let token_file = args
        .token_file
        .clone()
        .or_else(wardcast::token::default_path);
    let lan = !args.listen.ip().is_loopback();
    let token = match &token_file {
        Some(path) if lan || args.require_token => Some(wardcast::token::load_or_create(path)?),
        _ => None,
    };
    if (lan || args.require_token) && token.is_none() {
        return Err(wardcast::Error::Input(
            "no config directory for the access token: pass --token-file FILE".into(),
        ));
    }
    config.broker.access = wardcast_broker::AccessPolicy {
        token: token.clone(),
        require_token: args.require_token,
        allowed_origins: args.allow_origin.clone(),
    };
    if lan && gsi_token.is_none() {
        tracing::warn!(
            "listening beyond loopback without a GSI token: any machine on the network can post fake game state (run `wardcast setup` or pass --gsi-token)"
        );
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| wardcast::Error::Io(format!("cannot listen on {}", args.listen), e))?;
    let local = listener
        .local_addr()
        .map_err(|e| wardcast::Error::Io("cannot read the listening address".into(), e))?;
    // Advertise on the LAN; the advertisement is withdrawn when it drops.
    let _advertised = if lan && !args.no_mdns {
        let announce = wardcast::discovery::Announce::for_this_host(token.is_some());
        match wardcast::discovery::Advertisement::start(local, &announce, args.mdns_port) {
            Ok(ad) => Some((ad, announce.instance)),
            Err(e) => {
                tracing::warn!("not advertised on the LAN: {e}");
                None
            }
        }
    } else {
        None
    };
    print_banner(
        local,
        &args,
        config.demo.is_some(),
        token.as_deref(),
        gsi_token
            .as_ref()
            .map(|(t, from)| (t.as_str(), from.as_str())),
        _advertised.as_ref().map(|(_, name)| name.as_str()),
    );
    wardcast::run(config, listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn discover_cmd(args: DiscoverArgs) -> Result<ExitCode, wardcast::Error> {
    let wait = Duration::try_from_secs_f64(args.timeout)
        .map_err(|_| wardcast::Error::Input(format!("bad --timeout {}", args.timeout)))?;
    let found = wardcast::discovery::discover(wait, args.mdns_port).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).unwrap_or_else(|_| "[]".into())
        );
    } else if found.is_empty() {
        println!("no Wardcast broker answered within {:.1} s", args.timeout);
    } else {
        for broker in &found {
            let version = broker.txt.get("version").map_or("?", String::as_str);
            let token = broker.txt.get("token").map_or("?", String::as_str);
            println!("{}  (version {version}, token {token})", broker.instance);
            for url in &broker.ws_urls {
                println!("  {url}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_banner(
    local: SocketAddr,
    args: &ServeArgs,
    demo: bool,
    token: Option<&str>,
    gsi_token: Option<(&str, &str)>,
    advertised_as: Option<&str>,
) {
    println!(
        "wardcast {} listening on {local}",
        env!("CARGO_PKG_VERSION")
    );
    println!("  WebSocket:  ws://{local}/ws");
    println!("  GSI:        {}", gsi_cfg::gsi_uri(local));
    println!("  health:     http://{local}/healthz, feature status http://{local}/status");
    if let Some((_, from)) = gsi_token {
        println!("  GSI token:  required in every GSI body (auth.token), from {from}");
    }
    if demo {
        if args.game.info().name == "dota2" {
            println!(
                "  demo match: Dota 2, {} view, playing until a game connects",
                args.demo_mode
            );
        } else {
            println!(
                "  demo match: {} (a real match's recording, looped), playing until a game connects",
                args.game.info().title
            );
        }
    }
    println!("  dashboard:  http://{local}/");
    if let Some(name) = advertised_as {
        println!(
            "  LAN:        advertised over mDNS as \"{name}\" (find it with `wardcast discover`)"
        );
    }
    if let Some(path) = &args.record {
        println!("  recording:  {}", path.display());
    }
    if let Some(token) = token {
        let who = if args.require_token {
            "every client"
        } else {
            "clients on other machines"
        };
        println!("  access:     {who} connect with ?token={token} (or Authorization: Bearer)");
    }
    println!();
    let game = args.game;
    let how = setup::GameSetup::of(game.info().name);
    println!(
        "Connect {}: `{}` writes this cfg into the game's folder, or save it as",
        game.info().title,
        how.command
    );
    println!(
        "<Steam library>/{}{} yourself.",
        how.cfg_dir,
        setup::CFG_NAME
    );
    println!("{}.", setup::launch_hint(game));
    println!();
    print!(
        "{}",
        gsi_cfg::render(game, local, gsi_token.map(|(t, _)| t))
    );
    if gsi_token.is_none() {
        println!();
        println!("(no GSI token: any program on this machine can post game state; `wardcast setup` creates one)");
    }
    println!();
}

async fn replay_cmd(args: ReplayArgs) -> Result<ExitCode, wardcast::Error> {
    let options = replay::ReplayOptions {
        file: args.file,
        target: args.target,
        speed: args.speed,
        interval: Duration::from_millis(args.interval_ms),
        token: args.token,
    };
    let summary = replay::replay(&options).await?;
    Ok(if summary.refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn token_cmd(args: TokenArgs) -> Result<ExitCode, wardcast::Error> {
    let Some(path) = args.token_file.or_else(wardcast::token::default_path) else {
        return Err(wardcast::Error::Input(
            "no config directory: pass --token-file FILE".into(),
        ));
    };
    let token = if args.rotate {
        wardcast::token::rotate(&path)?
    } else {
        wardcast::token::load_or_create(&path)?
    };
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn setup_cmd(args: SetupArgs) -> Result<ExitCode, wardcast::Error> {
    let options = setup::SetupOptions {
        game: args.game,
        game_dir: args.game_dir,
        steam_dir: args.steam_dir,
        listen: args.listen,
        gsi_token_file: args.gsi_token_file,
        print: args.print,
    };
    setup::run(&options, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// `--role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RoleArg {
    Ingest,
    Edge,
    Both,
}

/// `--nats-storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum NatsStorage {
    File,
    Memory,
}

#[cfg(feature = "nats")]
fn config_federation(
    config: &mut wardcast::Config,
    args: &ServeArgs,
) -> Result<(), wardcast::Error> {
    use wardcast::federation::{FederationConfig, Role};
    let role = match args.role.unwrap_or(RoleArg::Both) {
        RoleArg::Ingest => Role::Ingest,
        RoleArg::Edge => Role::Edge,
        RoleArg::Both => Role::Both,
    };
    config.federation = Some(FederationConfig {
        bus: wardcast_bus::BusConfig {
            urls: args.nats.clone(),
            token: args.nats_token.clone(),
            creds: args.nats_creds.clone(),
            name: format!("wardcast-{}", gethostname::gethostname().to_string_lossy()),
            memory: args.nats_storage == NatsStorage::Memory,
            replicas: usize::from(args.nats_replicas),
        },
        role,
    });
    Ok(())
}

#[cfg(not(feature = "nats"))]
fn config_federation(_: &mut wardcast::Config, _: &ServeArgs) -> Result<(), wardcast::Error> {
    Err(wardcast::Error::Input(
        "--nats: this wardcast was built without tournament mode (cargo feature `nats`)".into(),
    ))
}
