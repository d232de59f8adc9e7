//! Browser entry point: hydrates the server-rendered page so it becomes interactive.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panics show up in the browser console with a stack trace instead of "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Marks the document as interactive: CSS can reveal JS-only affordances, and browser tests
    // wait for it instead of sleeping.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
