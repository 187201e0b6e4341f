//! The bridge to the windows, declared once. Each command is written one time, in
//! `commands.rs`, inside [`bridge!`]: its name, the arguments the UI sends, what it answers and
//! its body. From that one declaration come the Tauri command (always async, its work on a
//! blocking thread, so the UI's main thread never waits for the store, the keyring or the
//! network), the handler that registers them all, the list of names the permissions must cover,
//! and `ui/src/lib/bindings/commands.ts`: a typed function per command, written by this
//! crate's tests, which `make test` requires to be committed as generated. Events are declared
//! the same way in [`events`].

/// Declares the commands. Each item is
///
/// ```text
/// /// What it does.
/// sync name(state, app; arg: Type, ...) -> Answer { body }
/// ```
///
/// where `state` (the [`crate::AppState`]) and `app` (the `AppHandle`) are names the body may
/// use (`app` may be left out), the arguments are what the UI sends, and the body returns
/// `Result<Answer, ApiError>`. `sync` bodies run on a blocking thread; `async` bodies run on
/// the async runtime and call `crate::bridge::blocking` for their blocking parts.
macro_rules! bridge {
    (
        $(
            $(#[doc = $doc:literal])*
            $mode:ident $name:ident ( $state:ident $(, $app:ident)? ; $($arg:ident : $ty:ty),* $(,)? )
                -> $answer:ty $body:block
        )*
    ) => {
        $(
            bridge!(@command $mode [$(#[doc = $doc])*] $name ($state $(, $app)?; $($arg: $ty),*)
                -> $answer $body);
        )*

        /// Every command's name, as the UI sends it.
        #[cfg_attr(not(test), allow(dead_code))]
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Registers every command with Tauri.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Each command as the generator describes it to TypeScript.
        #[cfg(test)]
        pub fn signatures() -> Vec<$crate::bridge::Signature> {
            vec![$(
                $crate::bridge::Signature {
                    name: stringify!($name),
                    doc: vec![$($doc),*],
                    args: vec![$((stringify!($arg), $crate::bridge::TsType::of::<$ty>())),*],
                    answer: $crate::bridge::TsType::of::<$answer>(),
                }
            ),*]
        }
    };

    (@command $mode:ident [$(#[$meta:meta])*] $name:ident ($state:ident $(, $app:ident)?;
        $($arg:ident : $ty:ty),*) -> $answer:ty $body:block) => {
        $(#[$meta])*
        #[tauri::command]
        pub async fn $name(
            state: tauri::State<'_, $crate::AppState>,
            app: tauri::AppHandle,
            $($arg: $ty),*
        ) -> Result<$answer, herald_api::UiError> {
            let $state = state.inner().clone();
            $(let $app = app.clone();)?
            let _ = (&app, &$state);
            bridge!(@run $mode $answer $body)
        }
    };

    // A `sync` body runs on a blocking thread and answers in `ApiError`s.
    (@run sync $answer:ty $body:block) => {
        $crate::bridge::blocking(move || -> Result<$answer, herald_api::ApiError> { $body }).await
    };

    // An `async` body runs here, and sends its blocking parts to `blocking` itself.
    (@run async $answer:ty $body:block) => {{
        let answer: Result<$answer, herald_api::UiError> = async move { $body }.await;
        answer
    }};
}

pub(crate) use bridge;

/// Runs `work` on a blocking thread: the store and the keyring block (D-Bus on Linux).
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, herald_api::ApiError> + Send + 'static,
) -> Result<T, herald_api::UiError> {
    match tauri::async_runtime::spawn_blocking(work).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(herald_api::UiError {
            code: herald_api::ErrorCode::Database,
            message: format!("the request stopped unexpectedly: {e}"),
            field: None,
        }),
    }
}

/// The events Rust sends to the windows, by name, with their payloads.
pub mod events {
    /// Something in the store changed (any process): the payload says what to re-read.
    pub const STORE_CHANGED: &str = "store-changed";
    /// Show this history entry (its id, as text): a notification was clicked while the history
    /// window was open.
    pub const NAVIGATE: &str = "navigate";

    /// For the generator: name, TypeScript listener, payload, doc.
    #[cfg(test)]
    pub fn all() -> Vec<(&'static str, &'static str, super::TsType, &'static str)> {
        vec![
            (
                STORE_CHANGED,
                "onStoreChanged",
                super::TsType::of::<herald_api::views::StoreChanged>(),
                "Calls `handler` whenever the store changed, in this process or another.",
            ),
            (
                NAVIGATE,
                "onNavigate",
                super::TsType::of::<String>(),
                "Calls `handler` with a history entry's id when a notification's entry should show.",
            ),
        ]
    }
}

#[cfg(test)]
mod generate;
#[cfg(test)]
pub use generate::{Signature, TsType};
