//! Driving a window as a person would, over WebDriver: find, click, type, wait for text, and
//! keep a screenshot of what was seen.

use std::time::Duration;

use fantoccini::{Client, Locator};
use herald_e2e::process::profile_dir;
use herald_e2e::wait;
use herald_e2e::webdriver::texts;

pub(crate) const LONG: Duration = Duration::from_secs(30);

pub(crate) async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(LONG)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("{css} never appeared: {err}"))
}

pub(crate) async fn click(client: &Client, css: &str) {
    find(client, css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Replaces a field's text: emptied in the page (with the input event a person's delete
/// fires), then typed, then checked, since WebDriver's own clear proved unreliable here.
pub(crate) async fn type_into(client: &Client, css: &str, text: &str) {
    let empty = "const e = document.querySelector(arguments[0]); e.value = ''; \
                 e.dispatchEvent(new Event('input', { bubbles: true }));";
    let mut value = None;
    for _ in 0..3 {
        // Found first: a field can appear after a click (the editor opens once its form came).
        let field = find(client, css).await;
        client.execute(empty, vec![serde_json::json!(css)]).await.expect("empty the field");
        field.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
        value = field.prop("value").await.expect("the field's value");
        if value.as_deref() == Some(text) {
            return;
        }
    }
    panic!("{css} holds {value:?} after typing {text:?}");
}

/// Waits until an element matching `css` contains `wanted`; returns its text.
pub(crate) async fn text_with(client: &Client, css: &str, wanted: &str) -> String {
    let deadline = std::time::Instant::now() + LONG;
    let mut last = Vec::new();
    while std::time::Instant::now() < deadline {
        last = texts(client, css).await;
        if let Some(text) = last.iter().find(|t| t.contains(wanted)) {
            return text.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(client, "failed").await;
    panic!(
        "{css} never showed {wanted:?}; it showed {last:?} (screenshot: e2e-screens/failed.png)"
    );
}

/// How many elements match, counted in the page (element handles can go stale mid-render).
/// Types `text` into a number field and commits it, as leaving the field does.
pub(crate) async fn enter(client: &Client, css: &str, text: &str) {
    type_into(client, css, text).await;
    client
        .execute(
            "document.querySelector(arguments[0]).dispatchEvent(new Event('change', { bubbles: true }))",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("change");
}

pub(crate) async fn count(client: &Client, css: &str) -> usize {
    let script = "return document.querySelectorAll(arguments[0]).length";
    let counted = client.execute(script, vec![serde_json::json!(css)]).await.expect("count");
    counted.as_u64().unwrap_or(0) as usize
}

pub(crate) async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let dir = profile_dir().join("e2e-screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

pub(crate) async fn switch_to_other_window(client: &Client) {
    let current = client.window().await.expect("current window");
    let other = wait::until("a second window", LONG, || {
        let handles = block(client.windows());
        handles.into_iter().find(|h| *h != current)
    });
    client.switch_to_window(other).await.expect("switch window");
}

/// Runs a future to its end from inside `wait::until`'s synchronous polling.
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

/// The WebDriver calls are async; `wait::until` polls synchronously from a blocking section.
pub(crate) fn block<T, E: std::fmt::Debug>(
    future: impl std::future::Future<Output = Result<T, E>>,
) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
        .expect("webdriver")
}

/// Waits until a field's value is `wanted` (a form fills in after its data arrives).
pub(crate) async fn value_becomes(client: &Client, css: &str, wanted: &str) {
    let deadline = std::time::Instant::now() + LONG;
    let mut value = None;
    while std::time::Instant::now() < deadline {
        value = find(client, css).await.prop("value").await.expect("the field's value");
        if value.as_deref() == Some(wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(client, "failed").await;
    panic!("{css} holds {value:?}, never {wanted:?} (screenshot: e2e-screens/failed.png)");
}

/// Picks an option of a select by its value, with the change event a person's pick fires.
pub(crate) async fn choose(client: &Client, css: &str, value: &str) {
    let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                  e.dispatchEvent(new Event('change', { bubbles: true }));";
    find(client, css).await;
    client
        .execute(script, vec![serde_json::json!(css), serde_json::json!(value)])
        .await
        .expect("choose");
    value_becomes(client, css, value).await;
}

/// Runs `herald` on `data` as a person would in a terminal; fails the test if it fails.
pub(crate) fn herald_ok(data: &herald_e2e::process::DataDir, args: &[&str]) -> String {
    let out = data.command("herald").args(args).output().expect("herald");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}
