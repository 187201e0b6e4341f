//! Reading a secret for a command: from stdin, or from a prompt without echo on a terminal, so
//! it never sits in argv or the shell history.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

pub fn read(what: &str) -> anyhow::Result<String> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("{what}: ")).context("cannot read the secret")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the secret from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    anyhow::ensure!(!secret.is_empty(), "no secret given on stdin ({what})");
    Ok(secret)
}
