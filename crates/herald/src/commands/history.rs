//! `herald history ...` (docs/cli.md, "History").

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use herald_api::history::{HistoryScope, Listing};
use herald_api::{ApiError, Entry, Field, Herald, rfc3339};
use herald_os::DataDir;

use super::{open, run};
use crate::terminal_text::escape;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
    /// One JSON object per entry and line
    #[arg(long)]
    json: bool,
    /// Only this feed's entries
    #[arg(long, value_name = "NAME_OR_ID")]
    feed: Option<String>,
    /// Only entries that contain these words
    #[arg(long, value_name = "QUERY")]
    search: Option<String>,
    /// Only unread entries
    #[arg(long)]
    unread: bool,
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Write the whole history to stdout
    Export {
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
    },
    /// Mark entries read
    MarkRead(ScopeArgs),
    /// Delete entries
    Delete(ScopeArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ScopeArgs {
    /// Every entry of this feed
    #[arg(long, value_name = "NAME_OR_ID")]
    feed: Option<String>,
    /// One entry, by the number `history --json` shows as its position... or its row id
    #[arg(long, value_name = "ROW")]
    id: Option<i64>,
    /// Everything
    #[arg(long)]
    all: bool,
}

impl ScopeArgs {
    fn scope(&self, herald: &Herald) -> Result<HistoryScope, ApiError> {
        Ok(match (&self.feed, self.id) {
            (Some(feed), _) => HistoryScope::Feed { feed_id: herald.find_feed(feed)?.id },
            (None, Some(id)) => HistoryScope::One { id },
            (None, None) => HistoryScope::All,
        })
    }
}

pub fn command(data_dir: &DataDir, args: HistoryArgs) -> std::process::ExitCode {
    run(|| {
        let herald = open(data_dir)?;
        match args.command {
            None => show(&herald, &args.feed, args.search, args.unread, args.limit, args.json),
            Some(HistoryCommand::Export { format }) => export(&herald, format),
            Some(HistoryCommand::MarkRead(scope)) => {
                let n = herald.mark_read(scope.scope(&herald)?, true)?;
                println!("marked {n} entries read");
                Ok(())
            }
            Some(HistoryCommand::Delete(scope)) => {
                let n = herald.delete_history(scope.scope(&herald)?)?;
                println!("deleted {n} entries");
                Ok(())
            }
        }
    })
}

fn show(
    herald: &Herald,
    feed: &Option<String>,
    search: Option<String>,
    unread: bool,
    limit: usize,
    json: bool,
) -> Result<(), ApiError> {
    let feed_id = feed.as_deref().map(|f| herald.find_feed(f).map(|f| f.id)).transpose()?;
    let listing = Listing { feed_id, search, unread_only: unread, before: None, limit };
    let entries = herald.history(listing)?;
    let mut out = std::io::stdout().lock();
    for entry in &entries {
        let _ = if json {
            writeln!(out, "{}", json_of(entry))
        } else {
            writeln!(out, "{}", readable(entry))
        };
    }
    if entries.is_empty() && !json {
        let _ = writeln!(out, "Nothing in the history yet.");
    }
    Ok(())
}

/// The JSON object `history --json` and `history export` print (docs/cli.md, "History").
fn json_of(entry: &Entry) -> serde_json::Value {
    serde_json::json!({
        "feed": entry.feed,
        "feed_id": entry.feed_id,
        "event_id": entry.event_id,
        "type": entry.event_type,
        "data": entry.data,
        "title": entry.title,
        "body": entry.body,
        "link": entry.link,
        "priority": entry.priority,
        "received_at": rfc3339(entry.received_at),
        "read": entry.read,
    })
}

fn readable(entry: &Entry) -> String {
    let mark = if entry.read { ' ' } else { '*' };
    format!(
        "{mark} {}  {}  {}\n    {}",
        rfc3339(entry.received_at),
        escape(&entry.feed),
        escape(&entry.title),
        escape(&entry.body).replace('\n', "\n    ")
    )
}

fn export(herald: &Herald, format: Format) -> Result<(), ApiError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Format::Csv = format {
        writeln!(out, "received_at,feed,feed_id,event_id,type,title,body,link,priority,read,data")
            .map_err(io)?;
    }
    herald.for_each_entry(|e| match format {
        Format::Jsonl => writeln!(out, "{}", json_of(e)),
        Format::Csv => {
            let fields = [
                rfc3339(e.received_at),
                e.feed.clone(),
                e.feed_id.clone(),
                e.event_id.clone().unwrap_or_default(),
                e.event_type.clone(),
                e.title.clone(),
                e.body.clone(),
                e.link.clone().unwrap_or_default(),
                e.priority.map(|p| p.to_string()).unwrap_or_default(),
                e.read.to_string(),
                e.data.clone(),
            ];
            let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(out, "{}", row.join(","))
        }
    })?;
    out.flush().map_err(io)
}

fn io(err: std::io::Error) -> ApiError {
    ApiError::Invalid { field: Field::Output, message: err.to_string() }
}

/// RFC 4180: quote a field that holds a comma, quote or line break, doubling its quotes. A
/// leading =, +, - or @ is prefixed with ' so a spreadsheet never runs event data as a formula.
fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}
