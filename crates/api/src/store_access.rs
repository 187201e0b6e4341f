//! How the use cases that also call the keyring take the store: a step at a time. The windows
//! share one store behind a mutex; a keyring call can block for seconds (a D-Bus service that
//! asks to unlock), and a use case that held the store across it froze every other request of
//! the windows meanwhile. `Herald` hands its store out this way; a test lends a bare one.

use std::sync::Mutex;

use herald_store::Store;

/// A store that a use case borrows for one step at a time.
pub(crate) trait StoreAccess {
    fn with<R>(&mut self, step: impl FnOnce(&mut Store) -> R) -> R;
}

impl StoreAccess for Store {
    fn with<R>(&mut self, step: impl FnOnce(&mut Store) -> R) -> R {
        step(self)
    }
}

/// A store shared behind a mutex, locked for each step only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shared<'a>(pub(crate) &'a Mutex<Store>);

impl StoreAccess for Shared<'_> {
    fn with<R>(&mut self, step: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        step(&mut store)
    }
}
