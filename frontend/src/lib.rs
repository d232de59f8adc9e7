//! Browser entry point: hydrates the server-rendered page so it becomes interactive.

use leptos::{mount::hydrate_from_async, prelude::document};

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panics show up in the browser console with a stack trace instead of "unreachable".
    console_error_panic_hook::set_once();
    // Each page is a lazy route (app::routes): its wasm chunk is fetched before the page can
    // hydrate, so hydration is asynchronous (what `leptos::mount::hydrate_lazy` does, plus the
    // marker below once it has finished). `hydrate_from_async` installs Leptos' executor, so
    // this first task is spawned on wasm-bindgen's directly.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else { return };
        let handle = hydrate_from_async(body, app::App).await;
        // The page lives as long as the tab: never unmount it.
        handle.forget();
        // Marks the document as interactive: CSS can reveal JS-only affordances, and browser
        // tests wait for it instead of sleeping.
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
