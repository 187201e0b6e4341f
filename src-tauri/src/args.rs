use std::path::PathBuf;

use clap::Parser;

use crate::windows::WindowKind;

/// Herald's windows. Started by `herald`; a second start for the same data dir hands its
/// request to the running one and exits.
#[derive(Debug, Parser)]
#[command(name = "herald-ui", version)]
pub struct Args {
    /// Where Herald keeps its data [default: the platform's app data dir]
    #[arg(long, env = herald_os::DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Which window to show
    #[arg(long, default_value_t = WindowKind::History, value_parser = window_kind())]
    pub window: WindowKind,

    /// Jump to this history entry
    #[arg(long, value_name = "ID")]
    pub event: Option<String>,
}

/// `--window`, with the names `--help` lists, parsed into the one window type.
fn window_kind() -> impl clap::builder::TypedValueParser<Value = WindowKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(WindowKind::ALL.map(WindowKind::name))
        .try_map(|name| name.parse::<WindowKind>())
}
