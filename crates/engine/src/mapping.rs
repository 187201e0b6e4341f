//! From an event to what people read: title, body, link and priority. Each preset has a
//! rendering that needs no setup; a feed's own templates (minijinja, over `feed`, `type`, `id`,
//! `data` and `json`) replace it field by field. A template that fails on an event never loses
//! the event: that field falls back to the preset's rendering and the error is reported.

use herald_store::Rendered;
use minijinja::{Environment, ErrorKind};
use serde_json::Value;

use herald_model::Preset;

/// What a template sees.
#[derive(Debug, serde::Serialize)]
pub struct EventContext<'a> {
    pub feed: &'a str,
    #[serde(rename = "type")]
    pub event_type: &'a str,
    pub id: Option<&'a str>,
    pub data: &'a str,
    pub json: Option<&'a Value>,
}

/// How many steps (minijinja instructions) one template may take for one event. Rendering runs
/// on the feed's task and cannot be interrupted, so without a bound a nested loop pins a core,
/// stalls the other feeds and outlives Ctrl-C. A loop over 500 items with a condition and a
/// filter takes about 4,200 steps; this allows over twenty times that, and stops the nested
/// `range(100000)` loops that once froze a feed after about 25 ms, even in a debug build.
/// `range()` is lazy and refuses more than 100,000 items, so it cannot allocate its way around
/// the limit.
/// Steps are counted, not their cost: one filter over a long list is still one step.
pub const TEMPLATE_STEPS: u64 = 100_000;

/// The longest rendered title kept, in characters.
pub const TITLE_CHARS: usize = 200;
/// The longest rendered body kept, in characters. A notification shows a few hundred; the body
/// used to be a second whole copy of the data (an 8 MiB event stored twice, and both in the
/// search index), which the history still shows in full from the data.
pub const BODY_CHARS: usize = 1_000;

/// `text` cut to at most `max` characters, at a word boundary when one is near the end, with
/// an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => {
            let cut = &text[..end];
            let at_word = cut
                .rfind(char::is_whitespace)
                .filter(|&i| cut[..i].chars().count() > max / 2)
                .unwrap_or(cut.len());
            format!("{}…", cut[..at_word].trim_end())
        }
    }
}

#[derive(Debug)]
pub struct Mapping {
    preset: Preset,
    env: Environment<'static>,
    title: bool,
    body: bool,
    link: bool,
}

/// The rendering, and the first template error if a template failed on this event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub rendered: Rendered,
    pub template_error: Option<String>,
}

impl Mapping {
    pub fn compile(
        preset: Preset,
        title: Option<&str>,
        body: Option<&str>,
        link: Option<&str>,
    ) -> Result<Self, String> {
        let mut env = Environment::new();
        env.set_fuel(Some(TEMPLATE_STEPS));
        crate::template_limits::guard(&mut env);
        for (name, source) in [("title", title), ("body", body), ("link", link)] {
            if let Some(source) = source {
                env.add_template_owned(name, source.to_owned())
                    .map_err(|e| format!("the {name} template does not parse: {e}"))?;
            }
        }
        Ok(Self { preset, env, title: title.is_some(), body: body.is_some(), link: link.is_some() })
    }

    pub fn render(&self, ctx: &EventContext<'_>) -> Mapped {
        let mut rendered = preset_rendering(self.preset, ctx);
        let mut template_error = None;
        let mut apply = |name: &str, wanted: bool, slot: &mut dyn FnMut(String)| {
            if !wanted {
                return;
            }
            match self.env.get_template(name).and_then(|t| t.render(ctx)) {
                Ok(text) => slot(text),
                Err(e) => {
                    template_error.get_or_insert_with(|| match e.kind() {
                        ErrorKind::OutOfFuel => format!(
                            "the {name} template does too much work: it was stopped after \
                             {TEMPLATE_STEPS} steps on one event"
                        ),
                        _ => format!("the {name} template failed: {e}"),
                    });
                }
            }
        };
        apply("title", self.title, &mut |t| rendered.title = t.trim().to_owned());
        apply("body", self.body, &mut |t| rendered.body = t.trim().to_owned());
        apply("link", self.link, &mut |t| rendered.link = web_link(t.trim()));
        // What a notification and a history row show; the whole event stays in its data.
        rendered.title = shorten(&rendered.title, TITLE_CHARS);
        rendered.body = shorten(&rendered.body, BODY_CHARS);
        Mapped { rendered, template_error }
    }
}

/// Only http and https links are ever kept from event data: anything else (`javascript:`,
/// `file:`) could do harm when opened.
pub fn web_link(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

fn str_field<'a>(json: Option<&'a Value>, pointer: &str) -> Option<&'a str> {
    crate::json_pointer::lookup(json?, pointer)?.as_str().filter(|s| !s.trim().is_empty())
}

fn priority(json: Option<&Value>) -> Option<u8> {
    let p = json?.get("priority")?.as_u64()?;
    (1..=5).contains(&p).then_some(p as u8)
}

/// The generic title: the data's own `title` when it has one; else the event type when it says
/// more than `message`; else the feed's name.
fn generic_title(ctx: &EventContext<'_>) -> String {
    if let Some(title) = str_field(ctx.json, "/title") {
        title.to_owned()
    } else if ctx.event_type == "message" {
        ctx.feed.to_owned()
    } else {
        ctx.event_type.to_owned()
    }
}

fn generic_body(ctx: &EventContext<'_>) -> String {
    ["/message", "/text", "/body"]
        .iter()
        .find_map(|p| str_field(ctx.json, p))
        .unwrap_or(ctx.data)
        .to_owned()
}

fn generic_link(ctx: &EventContext<'_>) -> Option<String> {
    ["/click", "/url", "/link"].iter().find_map(|p| str_field(ctx.json, p)).and_then(web_link)
}

fn preset_rendering(preset: Preset, ctx: &EventContext<'_>) -> Rendered {
    let json = ctx.json;
    match preset {
        Preset::Generic => Rendered {
            title: generic_title(ctx),
            body: generic_body(ctx),
            link: generic_link(ctx),
            priority: priority(json),
        },
        Preset::Ntfy => {
            let base =
                str_field(json, "/title").or_else(|| str_field(json, "/topic")).unwrap_or(ctx.feed);
            let emoji: String = json
                .and_then(|j| j.get("tags"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().and_then(tag_emoji))
                .collect();
            let title = if emoji.is_empty() { base.to_owned() } else { format!("{emoji} {base}") };
            Rendered {
                title,
                body: str_field(json, "/message").unwrap_or(ctx.data).to_owned(),
                link: str_field(json, "/click").and_then(web_link),
                priority: priority(json),
            }
        }
        Preset::Mercure => Rendered {
            title: ["/title", "/summary", "/subject", "/name"]
                .iter()
                .find_map(|p| str_field(json, p))
                .map_or_else(|| generic_title(ctx), str::to_owned),
            body: ["/message", "/text", "/body", "/description", "/content"]
                .iter()
                .find_map(|p| str_field(json, p))
                .unwrap_or(ctx.data)
                .to_owned(),
            link: generic_link(ctx),
            priority: priority(json),
        },
        Preset::Wikimedia => {
            let user = str_field(json, "/user").unwrap_or("someone");
            let page = str_field(json, "/title").unwrap_or("a page");
            let wiki = str_field(json, "/wiki")
                .or_else(|| str_field(json, "/server_name"))
                .unwrap_or("a wiki");
            Rendered {
                title: format!("{user} edited {page} on {wiki}"),
                body: str_field(json, "/comment").unwrap_or("").to_owned(),
                link: str_field(json, "/notify_url")
                    .or_else(|| str_field(json, "/meta/uri"))
                    .and_then(web_link),
                priority: None,
            }
        }
    }
}

/// Buttons that open links, from the event: ntfy's `view` actions (label and URL). Only http and
/// https links become buttons.
pub fn link_buttons(preset: Preset, data: &str) -> Vec<(String, String)> {
    if preset != Preset::Ntfy || !data.starts_with('{') {
        return Vec::new();
    }
    let Ok(json) = serde_json::from_str::<Value>(data) else { return Vec::new() };
    json.get("actions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|a| a.get("action").and_then(Value::as_str) == Some("view"))
        .filter_map(|a| {
            let label = a.get("label")?.as_str()?.trim();
            let url = web_link(a.get("url")?.as_str()?)?;
            (!label.is_empty()).then(|| (label.to_owned(), url))
        })
        .take(3)
        .collect()
}

/// ntfy's most common tags, shown as emoji the way ntfy's own apps do.
fn tag_emoji(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "warning" => "⚠️",
        "rotating_light" => "🚨",
        "white_check_mark" | "heavy_check_mark" => "✅",
        "x" | "negative_squared_cross_mark" => "❌",
        "tada" => "🎉",
        "+1" | "thumbsup" => "👍",
        "-1" | "thumbsdown" => "👎",
        "skull" => "💀",
        "fire" => "🔥",
        "loudspeaker" => "📢",
        "no_entry" => "⛔",
        "computer" => "💻",
        "rocket" => "🚀",
        "bell" => "🔔",
        "hourglass" => "⌛",
        "lock" => "🔒",
        "bug" => "🐛",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx<'a>(event_type: &'a str, data: &'a str, json: Option<&'a Value>) -> EventContext<'a> {
        EventContext { feed: "Deploys", event_type, id: Some("7"), data, json }
    }

    #[test]
    fn generic_rendering_without_any_setup() {
        let m = Mapping::compile(Preset::Generic, None, None, None).unwrap();
        let plain = m.render(&ctx("message", "build 42 passed", None)).rendered;
        assert_eq!((plain.title.as_str(), plain.body.as_str()), ("Deploys", "build 42 passed"));
        let j = json!({"text": "hello", "url": "https://ci.example/42", "priority": 5});
        let typed = m.render(&ctx("deploy", "{}", Some(&j))).rendered;
        assert_eq!(typed.title, "deploy");
        assert_eq!(typed.body, "hello");
        assert_eq!(typed.link.as_deref(), Some("https://ci.example/42"));
        assert_eq!(typed.priority, Some(5));
        let j = json!({"title": "Disk almost full", "text": "db-1 is at 91%"});
        assert_eq!(m.render(&ctx("alert", "{}", Some(&j))).rendered.title, "Disk almost full");
    }

    #[test]
    fn ntfy_title_tags_click_and_priority() {
        let m = Mapping::compile(Preset::Ntfy, None, None, None).unwrap();
        let j = json!({"id":"a1","topic":"alerts","message":"disk full","title":"db1",
                       "priority":5,"tags":["warning","custom"],"click":"https://grafana.example/d"});
        let r = m.render(&ctx("message", "", Some(&j))).rendered;
        assert_eq!(r.title, "⚠️ db1");
        assert_eq!(r.body, "disk full");
        assert_eq!(r.priority, Some(5));
        assert_eq!(r.link.as_deref(), Some("https://grafana.example/d"));
        let j = json!({"topic":"alerts","message":"m"});
        assert_eq!(m.render(&ctx("message", "", Some(&j))).rendered.title, "alerts");
    }

    #[test]
    fn ntfy_view_actions_become_buttons_and_only_web_links_count() {
        let data = r#"{"id":"1","message":"m","actions":[
            {"action":"view","label":"Open portal","url":"https://portal.example/x"},
            {"action":"http","label":"Restart","url":"https://api.example/restart"},
            {"action":"view","label":"Evil","url":"javascript:alert(1)"}]}"#;
        assert_eq!(
            link_buttons(Preset::Ntfy, data),
            [("Open portal".to_owned(), "https://portal.example/x".to_owned())]
        );
        assert!(link_buttons(Preset::Generic, data).is_empty());
    }

    #[test]
    fn wikimedia_says_who_edited_what_where() {
        let m = Mapping::compile(Preset::Wikimedia, None, None, None).unwrap();
        let j = json!({"user":"Ada","title":"Engines","wiki":"enwiki","comment":"typo",
                       "notify_url":"https://en.wikipedia.org/w/index.php?diff=1"});
        let r = m.render(&ctx("message", "", Some(&j))).rendered;
        assert_eq!(r.title, "Ada edited Engines on enwiki");
        assert_eq!(r.body, "typo");
        assert!(r.link.unwrap().starts_with("https://en.wikipedia.org/"));
    }

    #[test]
    fn templates_replace_fields_and_a_failing_one_falls_back() {
        let m = Mapping::compile(
            Preset::Generic,
            Some("{{ feed }}: {{ json.service }}"),
            Some("{{ data | nosuchfilter }}"),
            Some("{{ json.url }}"),
        )
        .unwrap();
        let j = json!({"service": "api", "url": "javascript:alert(1)"});
        let mapped = m.render(&ctx("message", "raw", Some(&j)));
        assert_eq!(mapped.rendered.title, "Deploys: api");
        assert_eq!(mapped.rendered.body, "raw", "the failing body template falls back");
        assert_eq!(mapped.rendered.link, None, "javascript: links are never kept");
        assert!(mapped.template_error.unwrap().contains("body template failed"));
        assert!(Mapping::compile(Preset::Generic, Some("{{"), None, None).is_err());
    }

    #[test]
    fn long_texts_are_cut_at_a_word_and_short_ones_kept() {
        let long = "word ".repeat(100);
        assert_eq!(shorten(&long, 30), "word word word word word word…");
        assert_eq!(shorten("short", 30), "short");
        assert_eq!(shorten(&"é".repeat(40), 10), format!("{}…", "é".repeat(10)));
        assert_eq!(shorten(&"x".repeat(30), 30), "x".repeat(30));
    }

    #[test]
    fn a_huge_event_renders_short_and_keeps_nothing_twice() {
        let data = "line of text ".repeat(700_000);
        let m = Mapping::compile(Preset::Generic, None, None, None).unwrap();
        let mapped = m.render(&ctx("message", &data, None));
        assert!(mapped.rendered.body.chars().count() <= BODY_CHARS + 1);
        assert!(data.starts_with(mapped.rendered.body.trim_end_matches('…')));
        let titled = Mapping::compile(Preset::Generic, Some("{{ data }}"), None, None).unwrap();
        assert!(titled.render(&ctx("message", &data, None)).rendered.title.chars().count() <= 201);
    }

    /// Ten billion loop steps: without a limit this pins a core for hours.
    const HOSTILE: &str =
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x";

    /// Renders on a thread, so that losing the limit fails the test instead of hanging the
    /// suite; the bound is far above what the cut-off takes, it is not a timing assertion.
    fn render_guarded(title: &'static str, data: &'static str, json: Option<Value>) -> Mapped {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let m = Mapping::compile(Preset::Generic, Some(title), None, None).unwrap();
            let _ = tx.send(m.render(&ctx("deploy", data, json.as_ref())));
        });
        rx.recv_timeout(std::time::Duration::from_secs(120)).expect("the template was not cut off")
    }

    #[test]
    fn a_template_that_does_too_much_work_is_cut_off_and_the_title_falls_back() {
        let mapped = render_guarded(HOSTILE, "build 42 passed", None);
        assert_eq!(mapped.rendered.title, "deploy", "the generic title stands in");
        assert_eq!(mapped.rendered.body, "build 42 passed");
        let error = mapped.template_error.unwrap();
        assert!(error.starts_with("the title template does too much work"), "{error}");
    }

    #[test]
    fn a_filter_that_would_allocate_a_petabyte_in_one_step_falls_back_instead_of_aborting() {
        let mapped = render_guarded("{{ 'a' | indent(1000000000000000) }}", "build 7", None);
        assert_eq!(mapped.rendered.title, "deploy");
        assert!(mapped.template_error.unwrap().contains("refused"));
    }

    #[test]
    fn a_huge_range_is_refused_rather_than_allocated() {
        let mapped = render_guarded("{{ range(10000000000) | list | length }}", "", None);
        assert_eq!(mapped.rendered.title, "deploy");
        assert!(mapped.template_error.unwrap().contains("range has too many elements"));
    }

    #[test]
    fn real_templates_looping_over_hundreds_of_items_still_render() {
        let items: Vec<Value> =
            (0..500).map(|i| json!({"name": format!("svc{i}"), "ok": i % 7 != 0})).collect();
        let template = "{% for s in json['items'] %}{% if not s.ok %}{{ s.name | upper }}\
                        {% if not loop.last %}, {% endif %}{% endif %}{% endfor %}";
        let mapped = render_guarded(template, "", Some(json!({"items": items})));
        assert_eq!(mapped.template_error, None);
        assert!(
            mapped.rendered.title.starts_with("SVC0, SVC7, SVC14"),
            "{}",
            mapped.rendered.title
        );
    }
}
