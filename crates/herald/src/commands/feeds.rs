//! `herald feeds ...` (docs/cli.md, "Feeds").

use std::io::Write;

use clap::{Args, Subcommand};
use herald_api::feeds::FeedOptions;
use herald_api::model::{AuthKind, IdSource, Method, OnEnd, Preset, Resume};
use herald_api::{ApiError, FeedStatus, Field, Herald, Millis, input_file, now_millis, rfc3339};
use herald_os::DataDir;

use super::{open, run};
use crate::terminal_text::escape;

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Subscribe to a feed
    Add {
        url: String,
        #[command(flatten)]
        options: FeedArgs,
    },
    /// Change a feed
    Edit {
        name_or_id: String,
        /// A new URL
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        options: FeedArgs,
    },
    /// List feeds with their state
    List {
        /// One JSON object per feed and line
        #[arg(long)]
        json: bool,
    },
    /// Remove a feed (and its history, unless --keep-history)
    Remove {
        name_or_id: String,
        #[arg(long)]
        keep_history: bool,
    },
    /// Set or change a feed's credentials (the secret is read from stdin); --auth none removes them
    Auth {
        name_or_id: String,
        /// none, bearer, basic, header:NAME or query:NAME
        #[arg(long, value_name = "KIND")]
        auth: AuthKind,
    },
    /// Ask the resident to reconnect a feed now
    Reconnect { name_or_id: String },
    /// Run a finished feed again (a POST job's stream), now or when the resident starts
    Run { name_or_id: String },
    /// Turn a feed on
    Enable { name_or_id: String },
    /// Turn a feed off
    Disable { name_or_id: String },
    /// Print every feed's definition as JSON (never secrets)
    Export,
    /// Add the feeds of an export file
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Args)]
pub struct FeedArgs {
    #[arg(long)]
    name: Option<String>,
    /// generic, ntfy, mercure or wikimedia
    #[arg(long)]
    preset: Option<Preset>,
    /// A non-secret request header, "Name: value" (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// GET or POST
    #[arg(long)]
    method: Option<Method>,
    /// A JSON file to POST
    #[arg(long, value_name = "FILE")]
    body_file: Option<std::path::PathBuf>,
    /// none, bearer, basic, header:NAME or query:NAME
    #[arg(long, value_name = "KIND")]
    auth: Option<AuthKind>,
    /// header, or query:PARAM
    #[arg(long)]
    resume: Option<Resume>,
    /// sse, or json:/pointer
    #[arg(long)]
    id_source: Option<IdSource>,
    #[arg(long, value_name = "TEMPLATE")]
    title: Option<String>,
    #[arg(long, value_name = "TEMPLATE")]
    body: Option<String>,
    #[arg(long, value_name = "TEMPLATE")]
    link: Option<String>,
    /// Keep only events of this type (repeatable); naming a heartbeat type (keep-alive, ping,
    /// stream-open, ...) also keeps its empty events, which are otherwise dropped
    #[arg(long = "include-type", value_name = "TYPE")]
    include_types: Vec<String>,
    /// Drop events of this type (repeatable)
    #[arg(long = "exclude-type", value_name = "TYPE")]
    exclude_types: Vec<String>,
    /// Keep only events whose JSON matches, "/pointer OP VALUE" with OP =, ~ or =~ (repeatable)
    #[arg(long = "where", value_name = "CONDITION")]
    conditions: Vec<String>,
    #[arg(long, value_name = "1-5")]
    min_priority: Option<u8>,
    /// An extra CA certificate (PEM) for a self-hosted server
    #[arg(long, value_name = "PEM")]
    ca_file: Option<String>,
    /// Reconnect when nothing arrives for this long
    #[arg(long, value_name = "SECONDS")]
    idle_timeout: Option<u32>,
    /// When the stream ends: reconnect, finish (until `feeds run`), or default (finish for
    /// POST, reconnect for GET)
    #[arg(long, value_name = "WHAT")]
    on_end: Option<String>,
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    #[arg(long)]
    disable: bool,
    /// Keep the feed's events in the history without notifying
    #[arg(long, conflicts_with = "unmute")]
    mute: bool,
    #[arg(long)]
    unmute: bool,
    /// No notifications from this feed for a while ("1h", "30m", "1day"), or "off"
    #[arg(long, value_name = "DURATION")]
    snooze: Option<String>,
}

impl FeedArgs {
    fn into_options(self, url: Option<String>) -> Result<FeedOptions, ApiError> {
        let body = match &self.body_file {
            Some(path) => {
                Some(input_file::read_to_string(path, input_file::REQUEST_BODY).map_err(|e| {
                    ApiError::Invalid { field: Field::Body, message: e.to_string() }
                })?)
            }
            None => None,
        };
        let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
        Ok(FeedOptions {
            url,
            name: self.name,
            preset: self.preset,
            headers: some(self.headers),
            method: self.method,
            body,
            auth: self.auth,
            resume: self.resume,
            id_source: self.id_source,
            title_template: self.title,
            body_template: self.body,
            link_template: self.link,
            include_types: some(self.include_types),
            exclude_types: some(self.exclude_types),
            conditions: some(self.conditions),
            min_priority: self.min_priority,
            ca_file: self.ca_file,
            idle_timeout_s: self.idle_timeout,
            on_end: self.on_end.as_deref().map(OnEnd::parse_choice).transpose()?,
            enabled: if self.enable {
                Some(true)
            } else if self.disable {
                Some(false)
            } else {
                None
            },
            muted: if self.mute {
                Some(true)
            } else if self.unmute {
                Some(false)
            } else {
                None
            },
            snooze_until: self.snooze.as_deref().map(snooze_until).transpose()?,
        })
    }
}

pub fn command(data_dir: &DataDir, command: FeedsCommand) -> std::process::ExitCode {
    run(|| {
        let herald = open(data_dir)?;
        match command {
            FeedsCommand::Add { url, options } => {
                // Credentials written into the URL go to the keyring, not the database.
                let split = herald_api::credentials::split_url(&url);
                let mut options = options.into_options(Some(split.url))?;
                let mut secret = None;
                if let Some((kind, from_url)) = split.credentials {
                    options.auth.get_or_insert(kind);
                    secret = Some(from_url);
                }
                let kind = options.auth.clone().unwrap_or_default();
                if kind.needs_secret() && secret.is_none() {
                    secret = Some(read_secret(&kind)?);
                }
                let feed = herald.add_feed(options, secret)?;
                println!("added {} (id {})", escape(&feed.spec.name), feed.id);
                if kind.needs_secret() {
                    println!("its secret is stored in {}", herald_secrets::Keyring::name());
                }
            }
            FeedsCommand::Auth { name_or_id, auth } => {
                let secret = if auth.needs_secret() { Some(read_secret(&auth)?) } else { None };
                let feed = herald.set_credentials(&name_or_id, auth, secret)?;
                println!("changed the credentials of {}", escape(&feed.spec.name));
            }
            FeedsCommand::Edit { name_or_id, url, options } => {
                let mut options = options.into_options(url)?;
                // Credentials change through the keyring, before anything else.
                if let Some(kind) = options.auth.take() {
                    let secret = if kind.needs_secret() { Some(read_secret(&kind)?) } else { None };
                    herald.set_credentials(&name_or_id, kind, secret)?;
                }
                let feed = herald.edit_feed(&name_or_id, options)?;
                println!("changed {} (id {})", escape(&feed.spec.name), feed.id);
            }
            FeedsCommand::List { json } => list(&herald, json)?,
            FeedsCommand::Remove { name_or_id, keep_history } => {
                let feed = herald.remove_feed(&name_or_id, keep_history)?;
                println!("removed {}", escape(&feed.spec.name));
            }
            FeedsCommand::Reconnect { name_or_id } => {
                let feed = herald.reconnect(&name_or_id)?;
                println!("asked the resident to reconnect {}", escape(&feed.spec.name));
            }
            FeedsCommand::Run { name_or_id } => {
                let feed = herald.run_again(&name_or_id)?;
                println!("{} runs again", escape(&feed.spec.name));
            }
            FeedsCommand::Enable { name_or_id } => set_enabled(&herald, &name_or_id, true)?,
            FeedsCommand::Disable { name_or_id } => set_enabled(&herald, &name_or_id, false)?,
            FeedsCommand::Export => println!("{}", herald.export_feeds()?),
            FeedsCommand::Import { file } => import(&herald, &file)?,
        }
        Ok(())
    })
}

fn snooze_until(text: &str) -> Result<Option<Millis>, ApiError> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let duration = humantime::parse_duration(text).map_err(|e| ApiError::Invalid {
        field: Field::Snooze,
        message: format!("{text:?} is not a duration like 1h or 30m ({e})"),
    })?;
    Ok(Some(
        now_millis().saturating_add(Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX)),
    ))
}

fn read_secret(kind: &AuthKind) -> Result<herald_secrets::Sensitive<String>, ApiError> {
    let what = match kind {
        AuthKind::Basic => "user:password".to_owned(),
        AuthKind::Bearer => "token".to_owned(),
        AuthKind::Header(name) => format!("value of the {name} header"),
        AuthKind::Query(name) => format!("value of the {name} parameter"),
        AuthKind::None => String::new(),
    };
    crate::secret_input::read(&what)
        .map(herald_secrets::Sensitive::new)
        .map_err(|e| ApiError::Invalid { field: Field::Auth, message: format!("{e:#}") })
}

fn set_enabled(herald: &Herald, name_or_id: &str, enabled: bool) -> Result<(), ApiError> {
    let feed = herald.set_enabled(name_or_id, enabled)?;
    println!("{} {}", if enabled { "enabled" } else { "disabled" }, escape(&feed.spec.name));
    Ok(())
}

/// The JSON object `feeds list --json` prints (docs/cli.md).
pub fn status_json(status: &FeedStatus) -> serde_json::Value {
    serde_json::json!({
        "id": status.feed.id,
        "name": status.feed.spec.name,
        "url": status.feed.spec.url,
        "enabled": status.feed.spec.enabled,
        "preset": status.feed.spec.preset,
        "auth": status.feed.spec.auth.to_string(),
        "state": status.state(),
        "state_detail": status.state_detail(),
        "last_event_at": status.resume.last_event_at.map(rfc3339),
        "unread": status.unread,
        "muted": status.feed.spec.quiet(now_millis()),
    })
}

fn list(herald: &Herald, json: bool) -> Result<(), ApiError> {
    let statuses = herald.feed_statuses()?;
    let mut out = std::io::stdout().lock();
    if json {
        for status in &statuses {
            let _ = writeln!(out, "{}", status_json(status));
        }
        return Ok(());
    }
    if statuses.is_empty() {
        let _ = writeln!(out, "No feeds yet. Add one with: herald feeds add URL");
        return Ok(());
    }
    for s in &statuses {
        let last = s.resume.last_event_at.map_or_else(|| "never".to_owned(), rfc3339);
        let _ = writeln!(
            out,
            "{}  [{}{}] {}\n    {}  last event: {last}  unread: {}",
            escape(&s.feed.spec.name),
            s.state(),
            if s.feed.spec.quiet(now_millis()) { ", muted" } else { "" },
            escape(&s.state_detail()),
            escape(&s.feed.spec.url),
            s.unread
        );
    }
    Ok(())
}

fn import(herald: &Herald, file: &std::path::Path) -> Result<(), ApiError> {
    let text = input_file::read_to_string(file, input_file::FEEDS_FILE)
        .map_err(|e| ApiError::Invalid { field: Field::Import, message: e.to_string() })?;
    let count = herald.import_feeds(&text, &file.display().to_string())?;
    println!("imported {count} feed{}", if count == 1 { "" } else { "s" });
    Ok(())
}
