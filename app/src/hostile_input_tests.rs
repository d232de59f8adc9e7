//! Every parser of outside input, fed thousands of arbitrary inputs (proptest): provider
//! claims (any JSON), the Auth0 bulk import reader, the profiling configuration importer,
//! answers to every kind of field, metadata (PATCH rules), `ReturnTo`, search terms and paging
//! cursors. The property: no panic — a refused input is an `Err` value, never a crash — and
//! what must always hold of an accepted one (a return address is a local path).
//!
//! Each parser is pure, so "a refused input changes nothing" holds by construction here; the
//! HTTP tests (`server/tests/http/hostile_input.rs`, `attacks.rs`) check it where a database is
//! involved.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::{admin::bulk::format as bulk, admin::user_search::trigram_pieces, admin::users::Cursor, auth::ReturnTo};
use domain::{
    identity::normalize, identity::ProviderKind, profile::metadata::merge_metadata, profile::metadata::validate_metadata,
    profile::metadata::MetadataLimits, profiling::config::ValidConfig, profiling::field::Field, profiling::validate_answer,
};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects whose keys are the claims the normalizers read, with values of any type.
fn claim_like() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("sub"),
        Just("email"),
        Just("email_verified"),
        Just("name"),
        Just("given_name"),
        Just("family_name"),
        Just("nickname"),
        Just("preferred_username"),
        Just("login"),
        Just("picture"),
        Just("avatar_url"),
        Just("locale"),
        Just("upn"),
        Just("unique_name"),
        Just("localizedFirstName"),
        Just("job_title"),
    ];
    prop::collection::btree_map(key.prop_map(str::to_string), any_json(), 0..10).prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// One field of every kind, with the validation rules that kind takes.
fn every_kind_of_field() -> Vec<Field> {
    let options = json!([{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]);
    ["text", "textarea", "email", "phone", "url", "number", "date", "dropdown", "radio", "checkbox", "multiselect", "consent"]
        .iter()
        .map(|kind| {
            let validation = match *kind {
                "dropdown" | "radio" | "multiselect" => json!({"required": true, "options": options}),
                "number" => json!({"min": -5, "max": 1e6}),
                "text" | "textarea" => json!({"min_length": 2, "max_length": 30, "pattern": "[a-z ]+"}),
                "checkbox" | "consent" => json!({"required": true}),
                _ => json!({}),
            };
            let field = json!({"key": "k", "label": "K", "kind": kind, "target": "user_metadata.k", "validation": validation});
            serde_json::from_value(field).unwrap_or_else(|e| panic!("a {kind} field: {e}"))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn claim_normalizers_take_any_json(raw in any_json(), claims in claim_like()) {
        for kind in ProviderKind::ALL {
            let _ = normalize(kind, &raw).present();
            let _ = normalize(kind, &claims).present();
        }
    }

    #[test]
    fn the_bulk_import_reader_takes_any_text(text in ".{0,200}", value in any_json()) {
        let _ = bulk::parse(&text);
        let as_list = Value::Array(vec![value.clone()]).to_string();
        if let Ok(users) = bulk::parse(&as_list) {
            let _ = bulk::problems(&users);
        }
        let _ = bulk::parse(&value.to_string());
    }

    #[test]
    fn the_configuration_importer_takes_any_json(value in any_json(), text in ".{0,200}") {
        let _ = ValidConfig::from_json(&text);
        let _ = ValidConfig::from_json(&value.to_string());
        let shaped = json!({"fields": [value.clone()], "stages": [value]});
        let _ = ValidConfig::from_json(&shaped.to_string());
    }

    #[test]
    fn answers_to_every_kind_of_field_are_validated_without_panicking(raw in prop::collection::vec(".{0,40}", 0..4)) {
        for field in every_kind_of_field() {
            let _ = validate_answer(&field, &raw);
        }
    }

    #[test]
    fn metadata_rules_take_any_json(value in any_json(), patch in any_json()) {
        let limits = MetadataLimits::default();
        let _ = validate_metadata(&value, &limits);
        if let (Value::Object(current), Value::Object(patch)) = (&value, &patch) {
            let merged = merge_metadata(current, patch);
            let _ = validate_metadata(&Value::Object(merged), &limits);
        }
    }

    #[test]
    fn a_return_address_is_always_a_local_path(input in ".{0,60}", tail in "[/\\\\:@.a-z]{0,20}") {
        for candidate in [input.clone(), format!("/{tail}"), format!("//{tail}"), format!("/\\{tail}"), format!("https:{tail}")] {
            let to = ReturnTo::or_home(Some(&candidate));
            let path = to.as_str();
            prop_assert!(path.starts_with('/'), "{candidate:?} -> {path:?}");
            prop_assert!(!path.starts_with("//") && !path.starts_with("/\\"), "{candidate:?} -> {path:?}");
            prop_assert!(!path.chars().any(char::is_control), "{candidate:?} -> {path:?}");
        }
    }

    #[test]
    fn search_terms_and_cursors_take_any_text(term in ".{0,80}") {
        let _ = trigram_pieces(&term);
        let _ = Cursor::decode(&term);
    }
}
