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
    let footer = text_of(&client, "footer.status span").await;
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
