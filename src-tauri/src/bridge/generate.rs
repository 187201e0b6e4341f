//! Writes `ui/src/lib/bindings/commands.ts` from the declared commands and events: a typed
//! function per command (named as in TypeScript, arguments as Tauri passes them) and a
//! listener per event. The types are ts-rs's, so they are the ones in `ui/src/lib/bindings`.

use std::collections::BTreeSet;

use ts_rs::{Config, TS, TypeVisitor};

/// A Rust type as TypeScript names it, and the generated types that name needs.
#[derive(Debug, Clone)]
pub struct TsType {
    name: String,
    imports: Vec<String>,
}

impl TsType {
    pub fn of<T: TS + 'static + ?Sized>() -> Self {
        let cfg = Config::new();
        let name = T::name(&cfg);
        // `()` is "null" to ts-rs; a command that answers nothing resolves to nothing.
        let name = if name == "null" { "void".to_owned() } else { name };
        // The generated types the name mentions: the type itself and its parameters (the
        // `FeedView` of `Array<FeedView>`), not what those are made of.
        let mut named = Named(Vec::new());
        named.visit::<T>();
        T::visit_generics(&mut named);
        Self { name, imports: named.0 }
    }
}

struct Named(Vec<String>);

impl TypeVisitor for Named {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_some() {
            self.0.push(T::ident(&Config::new()));
        }
    }
}

/// One command as TypeScript calls it.
#[derive(Debug, Clone)]
pub struct Signature {
    pub name: &'static str,
    pub doc: Vec<&'static str>,
    pub args: Vec<(&'static str, TsType)>,
    pub answer: TsType,
}

/// `feed_id` -> `feedId`: how Tauri names a command's arguments, and how the UI names functions.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn doc_comment(lines: &[&str], out: &mut String) {
    let text: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    if !text.is_empty() {
        out.push_str(&format!("/** {} */\n", text.join(" ")));
    }
}

pub fn typescript(commands: &[Signature], events: &[(&str, &str, TsType, &str)]) -> String {
    let mut imports = BTreeSet::new();
    for c in commands {
        imports.extend(c.answer.imports.iter().cloned());
        for (_, ty) in &c.args {
            imports.extend(ty.imports.iter().cloned());
        }
    }
    for (_, _, ty, _) in events {
        imports.extend(ty.imports.iter().cloned());
    }
    let mut out = String::from(
        "// Generated from src-tauri/src/commands.rs and src-tauri/src/bridge.rs by \
         `cargo test -p herald-ui`.\n// Do not edit: `make test` fails when this file differs \
         from what Rust generates.\n\n",
    );
    out.push_str("import { invoke } from \"@tauri-apps/api/core\";\n");
    out.push_str("import { listen, type UnlistenFn } from \"@tauri-apps/api/event\";\n");
    for name in &imports {
        out.push_str(&format!("import type {{ {name} }} from \"./{name}\";\n"));
    }
    for c in commands {
        out.push('\n');
        doc_comment(&c.doc, &mut out);
        let params: Vec<String> =
            c.args.iter().map(|(name, ty)| format!("{}: {}", camel(name), ty.name)).collect();
        let names: Vec<String> = c.args.iter().map(|(name, _)| camel(name)).collect();
        let call = if names.is_empty() {
            format!("invoke<{}>(\"{}\")", c.answer.name, c.name)
        } else {
            format!("invoke<{}>(\"{}\", {{ {} }})", c.answer.name, c.name, names.join(", "))
        };
        out.push_str(&format!(
            "export function {}({}): Promise<{}> {{\n  return {call};\n}}\n",
            camel(c.name),
            params.join(", "),
            c.answer.name
        ));
    }
    for (event, listener, payload, doc) in events {
        out.push('\n');
        doc_comment(&[doc], &mut out);
        out.push_str(&format!(
            "export function {listener}(handler: (payload: {}) => void): Promise<UnlistenFn> {{\n  \
             return listen<{}>(\"{event}\", (event) => handler(event.payload));\n}}\n",
            payload.name, payload.name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_tauri() {
        assert_eq!(camel("set_do_not_disturb"), "setDoNotDisturb");
        assert_eq!(camel("feeds"), "feeds");
    }

    /// Writes the bindings; `make test` then fails if the committed file differs.
    #[test]
    fn export_bindings_commands() {
        let text = typescript(&crate::commands::signatures(), &crate::bridge::events::all());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/src/lib/bindings/commands.ts");
        std::fs::write(&path, text).expect("write the command bindings");
    }

    /// The permission list the build script gives Tauri names every command, and only those.
    #[test]
    fn every_command_has_its_permission() {
        let build = include_str!("../../build.rs");
        let list = build.split("const COMMANDS: &[&str] = &[").nth(1).expect("the list");
        let list = list.split("];").next().expect("its end");
        let listed: BTreeSet<&str> =
            list.split(',').map(|s| s.trim().trim_matches('"')).filter(|s| !s.is_empty()).collect();
        let declared: BTreeSet<&str> = crate::commands::COMMANDS.iter().copied().collect();
        assert_eq!(listed, declared, "build.rs's COMMANDS and the bridge disagree");
    }
}
