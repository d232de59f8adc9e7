//! The profiling configuration in the database: loaded whole, replaced whole.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, Set};
use serde_json::{json, Value};

use crate::{
    entities::{profile_fields, profile_stage_fields, profile_stages},
    profiling::{
        field::{Field, FieldKey},
        stage::{Condition, Cooldown, Stage, Trigger},
        ProfilingConfig, ValidConfig,
    },
};

use super::ProfilingError;

/// Loads the configuration, stages in their order.
pub async fn load_config(db: &impl ConnectionTrait) -> Result<ProfilingConfig, ProfilingError> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| ProfilingError::Corrupt(format!("{what}: {e}"));
    let mut fields = Vec::new();
    for row in profile_fields::Entity::find().order_by_asc(profile_fields::Column::Position).all(db).await? {
        let field = Field {
            key: FieldKey::parse(&row.key).map_err(|e| corrupt("field key", &e))?,
            label: row.label,
            help: row.help,
            kind: serde_json::from_value(Value::from(row.kind)).map_err(|e| corrupt("field kind", &e))?,
            target: row.target.parse().map_err(|e| corrupt("field target", &e))?,
            validation: serde_json::from_value(row.validation).map_err(|e| corrupt("field validation", &e))?,
            claims: serde_json::from_value(row.claims).map_err(|e| corrupt("field claims", &e))?,
            user_editable: row.user_editable,
        };
        fields.push(field);
    }
    let links = profile_stage_fields::Entity::find().order_by_asc(profile_stage_fields::Column::Position).all(db).await?;
    let mut stages = Vec::new();
    for row in profile_stages::Entity::find().order_by_asc(profile_stages::Column::Position).all(db).await? {
        let trigger = match row.trigger_kind.as_str() {
            "signup" => Trigger::Signup,
            "login" => Trigger::Login { min_logins: row.min_logins.unwrap_or(1).max(1) as u32 },
            "context" => Trigger::Context {
                name: row.context_name.clone().unwrap_or_default(),
                tags: serde_json::from_value(row.context_tags.clone()).unwrap_or_default(),
            },
            other => return Err(corrupt("stage trigger", &other)),
        };
        let when: Option<Condition> = match row.condition.clone() {
            Some(v) if !v.is_null() => Some(serde_json::from_value(v).map_err(|e| corrupt("stage condition", &e))?),
            _ => None,
        };
        let stage_fields = links.iter().filter(|l| l.stage_key == row.key).filter_map(|l| FieldKey::parse(&l.field_key).ok()).collect();
        stages.push(Stage {
            key: FieldKey::parse(&row.key).map_err(|e| corrupt("stage key", &e))?,
            title: row.title,
            intro: row.intro,
            trigger,
            when,
            fields: stage_fields,
            skippable: row.skippable,
            cooldown: Cooldown { days: row.cooldown_days.map(|d| d.max(0) as u32), logins: row.cooldown_logins.map(|n| n.max(0) as u32) },
            enabled: row.enabled,
        });
    }
    Ok(ProfilingConfig { fields, stages })
}

/// Replaces the whole configuration (import, and the console's saves) with one that passed
/// the checks. One transaction: readers see the old or the new configuration, never a mix.
pub async fn replace_config(db: &DatabaseConnection, config: &ValidConfig) -> Result<(), ProfilingError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    profile_stage_fields::Entity::delete_many().exec(&txn).await?;
    profile_stages::Entity::delete_many().exec(&txn).await?;
    profile_fields::Entity::delete_many().exec(&txn).await?;
    for (i, f) in config.fields.iter().enumerate() {
        profile_fields::ActiveModel {
            key: Set(f.key.to_string()),
            label: Set(f.label.clone()),
            help: Set(f.help.clone()),
            kind: Set(serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()),
            target: Set(f.target.to_string()),
            validation: Set(serde_json::to_value(&f.validation).unwrap_or(Value::Null)),
            claims: Set(json!(f.claims)),
            user_editable: Set(f.user_editable),
            position: Set(i as i32),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    for (i, s) in config.stages.iter().enumerate() {
        let (kind, min_logins, context_name, tags) = match &s.trigger {
            Trigger::Signup => ("signup", None, None, json!([])),
            Trigger::Login { min_logins } => ("login", Some(*min_logins as i32), None, json!([])),
            Trigger::Context { name, tags } => ("context", None, Some(name.clone()), json!(tags)),
        };
        profile_stages::ActiveModel {
            key: Set(s.key.to_string()),
            title: Set(s.title.clone()),
            intro: Set(s.intro.clone()),
            position: Set(i as i32),
            trigger_kind: Set(kind.to_string()),
            min_logins: Set(min_logins),
            context_name: Set(context_name),
            context_tags: Set(tags),
            condition: Set(s.when.as_ref().and_then(|c| serde_json::to_value(c).ok())),
            skippable: Set(s.skippable),
            cooldown_days: Set(s.cooldown.days.map(|d| d as i32)),
            cooldown_logins: Set(s.cooldown.logins.map(|n| n as i32)),
            enabled: Set(s.enabled),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let mut seen = std::collections::BTreeSet::new();
        for (j, field) in s.fields.iter().enumerate() {
            if !seen.insert(field.clone()) {
                continue;
            }
            profile_stage_fields::ActiveModel {
                stage_key: Set(s.key.to_string()),
                field_key: Set(field.to_string()),
                position: Set(j as i32),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// On first start: the shipped defaults (the seed scenario), unless anything is configured.
pub async fn seed_defaults_if_empty(db: &DatabaseConnection) -> Result<bool, ProfilingError> {
    let fields = profile_fields::Entity::find().count(db).await?;
    let stages = profile_stages::Entity::find().count(db).await?;
    if fields > 0 || stages > 0 {
        return Ok(false);
    }
    replace_config(db, &ValidConfig::defaults()).await?;
    tracing::info!("profiling configuration seeded from the shipped defaults");
    Ok(true)
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;

    crate::db_test!(the_defaults_round_trip_through_the_database, |db| {
        assert!(seed_defaults_if_empty(db).await.unwrap());
        assert!(!seed_defaults_if_empty(db).await.unwrap(), "seeded once");
        assert_eq!(load_config(db).await.unwrap(), ProfilingConfig::defaults());
    });
}
