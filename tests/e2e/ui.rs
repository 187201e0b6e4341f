//! The windows through WebDriver: the real `herald-ui` rendering content that came from Rust.

use std::time::Duration;

use fantoccini::Locator;
use herald_e2e::process::{DataDir, profile_dir, terminate};
use herald_e2e::require_desktop_session;
use herald_e2e::webdriver::Driver;

async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    let element = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("{css} never appeared: {err}"));
    element.text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_render_real_content() {
    require_desktop_session();
    let data = DataDir::new();
    let driver = Driver::start(data.path(), &[]);
    let client = driver.session(&[]).await;

    assert_eq!(text_of(&client, "h1").await, "History");
    assert_eq!(text_of(&client, ".empty h2").await, "No events yet");
    // The version in the footer comes from Rust through the app_info command.
    let footer = text_of(&client, "footer.status .version").await;
    assert_eq!(footer, format!("Herald {}", env!("CARGO_PKG_VERSION")));
    save_screenshot(&client, "history").await;

    // "Open settings" asks Rust for the settings window; switch to it and read the data dir.
    client
        .find(Locator::Css("button.primary"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let handles = wait_for_windows(&client, 2).await;
    let current = client.window().await.expect("current window");
    let settings = handles.into_iter().find(|h| *h != current).expect("a second window");
    client.switch_to_window(settings).await.expect("switch");
    assert_eq!(text_of(&client, "h1").await, "Settings");
    let data_dir = text_of(&client, "[data-testid=data-dir]").await;
    assert_eq!(std::path::Path::new(&data_dir), data.path().canonicalize().unwrap().as_path());
    save_screenshot(&client, "settings").await;

    client.close().await.expect("close session");
    if let Some(resident) = data.holder("resident.lock") {
        terminate(resident);
    }
}

async fn wait_for_windows(
    client: &fantoccini::Client,
    n: usize,
) -> Vec<fantoccini::wd::WindowHandle> {
    for _ in 0..200 {
        let handles = client.windows().await.expect("windows");
        if handles.len() >= n {
            return handles;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never saw {n} windows");
}

async fn save_screenshot(client: &fantoccini::Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let dir = profile_dir().join("e2e-screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

fn herald(data: &DataDir, args: &[&str]) -> String {
    let out = data.command("herald").args(args).output().expect("herald");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

async fn wait_for_text(client: &fantoccini::Client, css: &str, wanted: &str) -> String {
    let mut last = Vec::new();
    for _ in 0..300 {
        last = herald_e2e::webdriver::texts(client, css).await;
        if let Some(text) = last.iter().find(|t| t.contains(wanted)) {
            return text.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    save_screenshot(client, "failed").await;
    panic!("{css} never showed {wanted:?}, only {last:?} (screenshot: e2e-screens/failed.png)");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_windows_follow_the_store_live_and_show_event_data_as_text() {
    require_desktop_session();
    let server = herald_sse_server::SseServer::start(|_, _| {
        herald_sse_server::Reply::stream(vec![b": hi\n\n".to_vec()], herald_sse_server::End::Live)
    });
    let data = DataDir::new();
    herald(&data, &["feeds", "add", &server.url("/first"), "--name", "First feed"]);
    let driver = Driver::start(data.path(), &[]);
    let client = driver.session(&["--window", "settings"]).await;

    // The resident (started by herald-ui) connects the feed; the list says so without a reload.
    let first = wait_for_text(&client, "[data-testid=feed][data-state=live]", "First feed").await;
    assert!(first.contains("live since"), "{first}");
    herald(&data, &["feeds", "add", &server.url("/second"), "--name", "Second feed"]);
    wait_for_text(&client, "[data-testid=feed][data-state=live]", "Second feed").await;
    save_screenshot(&client, "settings-feeds").await;

    // "Reconnect now" reaches the resident through the store.
    let to_first = || server.requests().iter().filter(|r| r.target == "/first").count();
    assert_eq!(to_first(), 1);
    client
        .find(Locator::Css("button[aria-label='Reconnect First feed now']"))
        .await
        .expect("reconnect button")
        .click()
        .await
        .expect("click");
    herald_e2e::wait::until("the feed to reconnect", Duration::from_secs(10), || {
        (to_first() == 2).then_some(())
    });

    // The switch writes through the same API as `herald dnd`.
    client
        .find(Locator::Css("[data-testid=dnd]"))
        .await
        .expect("dnd")
        .click()
        .await
        .expect("click");
    herald_e2e::wait::until("do not disturb on", Duration::from_secs(10), || {
        (herald(&data, &["dnd"]) == "do not disturb is on\n").then_some(())
    });
    herald(&data, &["dnd", "off"]);

    // Event data is untrusted: markup and scripts arrive as text, and nothing runs.
    server.push(
        "id: x\ndata: {\"text\":\"<img src=x onerror=\\\"document.title='pwned'\\\"><script>document.title='pwned'</script>\"}\n\n",
    );
    herald(&data, &[]); // plain `herald` opens the history window in the running UI
    let handles = wait_for_windows(&client, 2).await;
    let current = client.window().await.expect("current window");
    let history = handles.into_iter().find(|h| *h != current).expect("the history window");
    client.switch_to_window(history).await.expect("switch");
    let shown = wait_for_text(&client, "[data-testid=entry] .body", "<img src=x").await;
    assert!(shown.contains("<script>"), "the markup shows as text: {shown}");
    assert_eq!(
        client
            .find_all(Locator::Css("[data-testid=entries] img, [data-testid=entries] script"))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_ne!(client.title().await.unwrap(), "pwned");

    // A javascript: link in the data is never offered: the details show it as text, with no
    // "Open link" button (and Rust would refuse to open it anyway).
    server.push(
        "id: y\ndata: {\"title\":\"Click me\",\"url\":\"javascript:document.title='pwned'\",\"click\":\"javascript:alert(1)\"}\n\n",
    );
    let row = "[data-testid=entry]:first-child";
    wait_for_text(&client, row, "Click me").await;
    client.find(Locator::Css(row)).await.expect("row").click().await.expect("click");
    let raw = wait_for_text(&client, "[data-testid=raw-data]", "javascript:").await;
    assert!(raw.contains("javascript:document.title"), "{raw}");
    let buttons = herald_e2e::webdriver::texts(&client, "[data-testid=details] button").await;
    assert!(!buttons.iter().any(|b| b.contains("Open link")), "{buttons:?}");
    assert_ne!(client.title().await.unwrap(), "pwned");
    save_screenshot(&client, "history-entries").await;

    client.close().await.expect("close session");
    if let Some(resident) = data.holder("resident.lock") {
        terminate(resident);
    }
}

/// With the history window open, a click on a notification selects that notification's event
/// (clearing a search that hid it), as it does when the click opens the window.
#[tokio::test(flavor = "multi_thread")]
async fn a_click_on_a_notification_selects_its_event_in_the_open_history() {
    require_desktop_session();
    let recorder = herald_e2e::notifications::Recorder::shared();
    let server = herald_sse_server::SseServer::start(|_, _| {
        herald_sse_server::Reply::stream(vec![b": hi\n\n".to_vec()], herald_sse_server::End::Live)
    });
    let data = DataDir::new();
    herald(&data, &["feeds", "add", &server.url("/nightly"), "--name", "Nightly"]);
    let driver = Driver::start(data.path(), &[]);
    let client = driver.session(&[]).await;
    herald_e2e::wait::until("the feed to connect", herald_e2e::wait::STARTUP, || {
        (server.live_connections() == 1).then_some(())
    });
    for (id, text) in [(1, "Nightly build 101 failed"), (2, "Nightly build 102 passed")] {
        server.push(format!("id: {id}\ndata: {text}\n\n"));
        recorder.wait_for(text, herald_e2e::wait::STARTUP, |_| !recorder.about(text).is_empty());
    }
    wait_for_text(&client, "[data-testid=entry]", "Nightly build 102").await;

    // A search hides the older event; nothing is selected.
    client
        .find(Locator::Css("input[aria-label='Search events']"))
        .await
        .expect("search box")
        .send_keys("102")
        .await
        .expect("type");
    for _ in 0..300 {
        let rows = herald_e2e::webdriver::texts(&client, "[data-testid=entry]").await;
        if rows.len() == 1 && rows[0].contains("102") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = herald_e2e::webdriver::texts(&client, "[data-testid=entry]").await;
    assert_eq!(rows.len(), 1, "the search leaves one row: {rows:?}");
    let selected = "[data-testid=entry][aria-selected=true]";
    assert!(herald_e2e::webdriver::texts(&client, selected).await.is_empty());

    let older = recorder.about("Nightly build 101").remove(0);
    recorder.invoke(older.id, "default");
    let shown = wait_for_text(&client, selected, "Nightly build 101").await;
    assert!(shown.contains("failed"), "{shown}");
    let search = client
        .find(Locator::Css("input[aria-label='Search events']"))
        .await
        .expect("search box")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(search.as_deref(), Some(""), "the search that hid it is cleared");
    // Still one window: the click went to the running one.
    assert_eq!(client.windows().await.expect("windows").len(), 1);

    client.close().await.expect("close session");
    if let Some(resident) = data.holder("resident.lock") {
        terminate(resident);
    }
}
