//! The inputs the field and stage editors share, bound to one form signal.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::{admin::questions::FieldForm, admin::questions::StageForm, escaping::TextArea};
use domain::profiling::FieldKind;

/// One labelled text input bound to the form signal, with its error.
#[component]
pub(super) fn TextInput<F: Fn(&mut FieldOrStage, String) + Copy + Send + Sync + 'static>(
    name: &'static str,
    #[prop(into)] label: String,
    value: String,
    errors: Signal<BTreeMap<String, String>>,
    #[prop(optional)] help: Option<&'static str>,
    set: F,
    form: RwSignal<FieldOrStage>,
    #[prop(optional)] multiline: bool,
) -> impl IntoView {
    let id = format!("q-{name}");
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let described = format!("{help_id} {error_id}");
    let error = move || errors.get().get(name).cloned();
    let invalid = move || error().is_some().then_some("true");
    let input = if multiline {
        view! {
            <TextArea value {..} id=id.clone() name=format!("form[{name}]") rows="4" aria-describedby=described.clone() aria-invalid=invalid
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() name=format!("form[{name}]") value=value aria-describedby=described.clone() aria-invalid=invalid
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {input}
            <p id=help_id class="help">{help}</p>
            <p id=error_id class="error field-error" role="alert">{error}</p>
        </div>
    }
}

/// A labelled checkbox bound to the form signal.
#[component]
pub(super) fn CheckInput<F: Fn(&mut FieldOrStage, bool) + Copy + Send + Sync + 'static>(
    name: &'static str,
    #[prop(into)] label: String,
    checked: bool,
    set: F,
    form: RwSignal<FieldOrStage>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="check">
                <input type="checkbox" name=format!("form[{name}]") value="on" checked=checked
                    on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev))) />
                " " {label}
            </label>
        </div>
    }
}

/// The form being edited, field or stage (one signal type keeps the input components simple).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldOrStage {
    Field(FieldForm),
    Stage(StageForm),
}

impl FieldOrStage {
    pub(super) fn field(&mut self) -> Option<&mut FieldForm> {
        match self {
            FieldOrStage::Field(f) => Some(f),
            FieldOrStage::Stage(_) => None,
        }
    }
    pub(super) fn stage(&mut self) -> Option<&mut StageForm> {
        match self {
            FieldOrStage::Stage(s) => Some(s),
            FieldOrStage::Field(_) => None,
        }
    }
}

macro_rules! set_field {
    ($name:ident) => {
        |f: &mut FieldOrStage, v: String| {
            if let Some(f) = f.field() {
                f.$name = v;
            }
        }
    };
}

macro_rules! set_stage {
    ($name:ident) => {
        |f: &mut FieldOrStage, v: String| {
            if let Some(s) = f.stage() {
                s.$name = v;
            }
        }
    };
}
pub(super) use {set_field, set_stage};

fn checked(v: bool) -> Option<String> {
    v.then(|| "on".to_string())
}

pub(super) fn set_required(f: &mut FieldOrStage, v: bool) {
    if let Some(f) = f.field() {
        f.required = checked(v);
    }
}

pub(super) fn set_reask(f: &mut FieldOrStage, v: bool) {
    if let Some(f) = f.field() {
        f.reask = checked(v);
    }
}

pub(super) fn set_user_editable(f: &mut FieldOrStage, v: bool) {
    if let Some(f) = f.field() {
        f.user_editable = checked(v);
    }
}

pub(super) fn set_skippable(f: &mut FieldOrStage, v: bool) {
    if let Some(s) = f.stage() {
        s.skippable = checked(v);
    }
}

pub(super) fn set_kind(f: &mut FieldOrStage, v: String) {
    if let Some(f) = f.field() {
        f.kind = v;
    }
}

pub(super) fn set_trigger(f: &mut FieldOrStage, v: String) {
    if let Some(s) = f.stage() {
        s.trigger = v;
    }
}

pub(super) fn set_enabled(f: &mut FieldOrStage, v: bool) {
    if let Some(s) = f.stage() {
        s.enabled = checked(v);
    }
}

pub(super) const KINDS: [(&str, &str); 13] = [
    ("text", "Text"),
    ("textarea", "Longer text"),
    ("email", "Email address"),
    ("phone", "Phone number"),
    ("url", "Web address"),
    ("number", "Number"),
    ("date", "Date"),
    ("dropdown", "Dropdown"),
    ("radio", "Radio buttons"),
    ("checkbox", "Checkbox"),
    ("multiselect", "Multiple choice"),
    ("consent", "Consent (yes/no)"),
    ("hidden", "Hidden (taken from the context, never asked)"),
];

#[allow(dead_code)]
fn _kinds_cover_every_kind(kind: FieldKind) -> &'static str {
    // Adding a kind breaks this match: add it to KINDS too.
    match kind {
        FieldKind::Text | FieldKind::Textarea | FieldKind::Email | FieldKind::Phone | FieldKind::Url | FieldKind::Number => "",
        FieldKind::Date | FieldKind::Dropdown | FieldKind::Radio | FieldKind::Checkbox | FieldKind::Multiselect | FieldKind::Consent => "",
        FieldKind::Hidden => "",
    }
}
