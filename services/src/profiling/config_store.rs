//! The profiling configuration in the database: loaded whole, replaced whole, each change
//! bumping one revision number (`profiling_revision`) in the same transaction as the change
//! and its audit entry.

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{json, Value};

use crate::{
    entities::{profile_fields, profile_stage_fields, profile_stages, profiling_revision},
    profiling::{
        field::{Field, FieldKey},
        stage::{Condition, Cooldown, Stage, Trigger},
        ProfilingConfig, ValidConfig, VersionedConfig,
    },
};

use super::ProfilingError;

/// The id of the one `profiling_revision` row.
const REVISION_ROW: i32 = 1;

/// What a change to the configuration is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasedOn {
    /// The revision the editor read: if anyone changed the configuration since, the change is
    /// refused ([`ProfilingError::ConfigChanged`]) rather than silently undoing theirs.
    Version(i64),
    /// Whatever is stored now (the import command, first-start defaults): replaces it whole.
    Anything,
}

/// The audit entry written in the change's own transaction: a change is never saved without
/// its entry, nor an entry without its change.
#[derive(Debug, Clone)]
pub struct ConfigAudit<'a> {
    pub actor: crate::audit::Actor<'a>,
    pub action: crate::audit::Action,
    pub details: Value,
}

async fn revision(db: &impl ConnectionTrait) -> Result<i64, ProfilingError> {
    Ok(revision_row(db).await?.version)
}

async fn revision_row(db: &impl ConnectionTrait) -> Result<profiling_revision::Model, ProfilingError> {
    profiling_revision::Entity::find_by_id(REVISION_ROW)
        .one(db)
        .await?
        .ok_or_else(|| ProfilingError::Corrupt("the profiling_revision row is missing".into()))
}

/// The configurations this process read last, by database and revision. Every page that
/// may ask something reads the configuration; with this, that is one statement (the revision
/// row) instead of five. It cannot go stale: every change bumps the revision in the change's
/// own transaction (whichever instance makes it), so the rows at `(database, version)` are
/// always the ones cached for it — also inside a transaction, which reads the revision of
/// its own snapshot. The key holds the revision's `changed_at` too: a change read inside its
/// own transaction and then rolled back gives its number back to the next change, never its
/// time. Keyed by the database's random id so that one process on several databases (the
/// tests) never mixes them; a handful of entries (a server has one).
mod cache {
    use std::sync::{Arc, Mutex, PoisonError};

    use crate::profiling::ProfilingConfig;

    const ENTRIES: usize = 8;

    /// The database's id, and the revision's number and time.
    pub(super) type Key = (String, i64, Option<chrono::DateTime<chrono::Utc>>);

    static CACHED: Mutex<Vec<(Key, Arc<ProfilingConfig>)>> = Mutex::new(Vec::new());

    pub(super) fn get(key: &Key) -> Option<Arc<ProfilingConfig>> {
        let cached = CACHED.lock().unwrap_or_else(PoisonError::into_inner);
        cached.iter().find(|(k, _)| k == key).map(|(_, config)| Arc::clone(config))
    }

    pub(super) fn put(key: Key, config: Arc<ProfilingConfig>) {
        let mut cached = CACHED.lock().unwrap_or_else(PoisonError::into_inner);
        // An older revision of this database is of no more use.
        cached.retain(|(k, _)| k.0 != key.0);
        if cached.len() >= ENTRIES {
            cached.remove(0);
        }
        cached.push((key, config));
    }
}

/// Loads the configuration, stages in their order.
pub async fn load_config(db: &impl ConnectionTrait) -> Result<ProfilingConfig, ProfilingError> {
    Ok(load_versioned(db).await?.config)
}

/// Loads the configuration with the revision it belongs to.
pub async fn load_versioned(db: &impl ConnectionTrait) -> Result<VersionedConfig, ProfilingError> {
    let row = revision_row(db).await?;
    let key = |r: &profiling_revision::Model| r.database_id.clone().map(|d| (d, r.version, r.changed_at));
    if let Some(config) = key(&row).and_then(|k| cache::get(&k)) {
        return Ok(VersionedConfig { version: row.version, config: ProfilingConfig::clone(&config) });
    }
    let mut before = row;
    // Fields, stages and their links are three reads; outside a transaction PostgreSQL gives
    // each its own snapshot, so a change committed between them would mix two revisions. The
    // revision read before and after tells: unchanged means the reads belong together.
    for _ in 0..5 {
        let config = read_rows(db).await?;
        let after = revision_row(db).await?;
        if after == before {
            if let Some(key) = key(&after) {
                cache::put(key, std::sync::Arc::new(config.clone()));
            }
            return Ok(VersionedConfig { version: after.version, config });
        }
        before = after;
    }
    Err(ProfilingError::ConfigChanged)
}

fn corrupt(what: &str, e: &dyn std::fmt::Display) -> ProfilingError {
    ProfilingError::Corrupt(format!("{what}: {e}"))
}

/// The fields, in their order.
async fn read_fields(db: &impl ConnectionTrait) -> Result<Vec<Field>, ProfilingError> {
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
            consent: match row.consent {
                Some(v) if !v.is_null() => Some(serde_json::from_value(v).map_err(|e| corrupt("field consent", &e))?),
                _ => None,
            },
            from: match row.hidden_from {
                Some(f) => Some(f.parse().map_err(|e: String| corrupt("hidden field source", &e))?),
                None => None,
            },
        };
        fields.push(field);
    }
    Ok(fields)
}

async fn read_rows(db: &impl ConnectionTrait) -> Result<ProfilingConfig, ProfilingError> {
    let fields = read_fields(db).await?;
    let links = profile_stage_fields::Entity::find().order_by_asc(profile_stage_fields::Column::Position).all(db).await?;
    let mut stages = Vec::new();
    for row in profile_stages::Entity::find().order_by_asc(profile_stages::Column::Position).all(db).await? {
        let trigger = match row.trigger_kind.as_str() {
            "signup" => Trigger::Signup,
            "login" => Trigger::Login {
                min_logins: row.min_logins.unwrap_or(1).max(1) as u32,
                max_logins: row.max_logins.map(|n| n.max(1) as u32),
            },
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
        let own: Vec<&profile_stage_fields::Model> = links.iter().filter(|l| l.stage_key == row.key).collect();
        let stage_fields: Vec<FieldKey> = own.iter().filter_map(|l| FieldKey::parse(&l.field_key).ok()).collect();
        // Steps: consecutive runs of the same step number; one run is one page (no steps).
        let mut steps: Vec<Vec<FieldKey>> = Vec::new();
        let mut last_step = None;
        for link in &own {
            let Ok(key) = FieldKey::parse(&link.field_key) else { continue };
            match steps.last_mut() {
                Some(current) if last_step == Some(link.step) => current.push(key),
                _ => steps.push(vec![key]),
            }
            last_step = Some(link.step);
        }
        if steps.len() < 2 {
            steps.clear();
        }
        stages.push(Stage {
            key: FieldKey::parse(&row.key).map_err(|e| corrupt("stage key", &e))?,
            title: row.title,
            intro: row.intro,
            trigger,
            when,
            fields: stage_fields,
            steps,
            skippable: row.skippable,
            cooldown: Cooldown { days: row.cooldown_days.map(|d| d.max(0) as u32), logins: row.cooldown_logins.map(|n| n.max(0) as u32) },
            enabled: row.enabled,
            external: match row.external_form {
                Some(v) if !v.is_null() => Some(serde_json::from_value(v).map_err(|e| corrupt("stage external form", &e))?),
                _ => None,
            },
        });
    }
    Ok(ProfilingConfig { fields, stages })
}

/// Replaces the whole configuration (import, and the console's and the API's edits) with one
/// that passed the checks, if it is still `based_on` what is stored; the new revision. One
/// transaction with its audit entry: readers see the old or the new configuration, never a
/// mix, and a refused change writes nothing.
pub async fn replace_config(
    db: &DatabaseConnection,
    config: &ValidConfig,
    based_on: BasedOn,
    audit: Option<ConfigAudit<'_>>,
) -> Result<i64, ProfilingError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    // The revision first: on PostgreSQL its row lock queues concurrent editors, and the one
    // that waited then finds the version moved and is refused (or, `Anything`, goes next).
    let mut bump = profiling_revision::Entity::update_many()
        .col_expr(profiling_revision::Column::Version, Expr::col(profiling_revision::Column::Version).add(1))
        .col_expr(profiling_revision::Column::ChangedAt, Expr::value(now))
        .filter(profiling_revision::Column::Id.eq(REVISION_ROW));
    if let BasedOn::Version(version) = based_on {
        bump = bump.filter(profiling_revision::Column::Version.eq(version));
    }
    if bump.exec(&txn).await?.rows_affected == 0 {
        // Dropping the transaction rolls it back.
        return Err(match based_on {
            BasedOn::Version(_) => ProfilingError::ConfigChanged,
            BasedOn::Anything => ProfilingError::Corrupt("the profiling_revision row is missing".into()),
        });
    }
    // A reworded consent purpose gets its next version whichever path saved it.
    let mut fields = config.fields.clone();
    // (An unreadable stored configuration is what an import repairs: nothing to carry then.)
    let stored = match read_fields(&txn).await {
        Ok(stored) => stored,
        Err(ProfilingError::Corrupt(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let recorded = super::consents::highest_recorded_versions(&txn, &fields).await?;
    crate::profiling::consent::carry_versions(&stored, &recorded, &mut fields);
    profile_stage_fields::Entity::delete_many().exec(&txn).await?;
    profile_stages::Entity::delete_many().exec(&txn).await?;
    profile_fields::Entity::delete_many().exec(&txn).await?;
    for (i, f) in fields.iter().enumerate() {
        profile_fields::ActiveModel {
            key: Set(f.key.to_string()),
            label: Set(f.label.clone()),
            help: Set(f.help.clone()),
            kind: Set(serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()),
            target: Set(f.target.to_string()),
            validation: Set(serde_json::to_value(&f.validation).unwrap_or(Value::Null)),
            claims: Set(json!(f.claims)),
            user_editable: Set(f.user_editable),
            consent: Set(f.consent.as_ref().and_then(|c| serde_json::to_value(c).ok())),
            hidden_from: Set(f.from.as_ref().map(|h| h.to_string())),
            position: Set(i as i32),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    for (i, s) in config.stages.iter().enumerate() {
        let (kind, min_logins, max_logins, context_name, tags) = match &s.trigger {
            Trigger::Signup => ("signup", None, None, None, json!([])),
            Trigger::Login { min_logins, max_logins } => ("login", Some(*min_logins as i32), max_logins.map(|n| n as i32), None, json!([])),
            Trigger::Context { name, tags } => ("context", None, None, Some(name.clone()), json!(tags)),
        };
        profile_stages::ActiveModel {
            key: Set(s.key.to_string()),
            title: Set(s.title.clone()),
            intro: Set(s.intro.clone()),
            position: Set(i as i32),
            trigger_kind: Set(kind.to_string()),
            min_logins: Set(min_logins),
            max_logins: Set(max_logins),
            context_name: Set(context_name),
            context_tags: Set(tags),
            condition: Set(s.when.as_ref().and_then(|c| serde_json::to_value(c).ok())),
            skippable: Set(s.skippable),
            cooldown_days: Set(s.cooldown.days.map(|d| d as i32)),
            cooldown_logins: Set(s.cooldown.logins.map(|n| n as i32)),
            enabled: Set(s.enabled),
            external_form: Set(s.external.as_ref().and_then(|f| serde_json::to_value(f).ok())),
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
                step: Set(s.step_of(field) as i32),
            }
            .insert(&txn)
            .await?;
        }
    }
    if let Some(audit) = audit {
        crate::audit::record(&txn, audit.actor, audit.action, None, audit.details).await?;
    }
    let version = revision(&txn).await?;
    txn.commit().await?;
    Ok(version)
}

/// On first start: the shipped defaults (the seed scenario), unless anything is configured.
pub async fn seed_defaults_if_empty(db: &DatabaseConnection) -> Result<bool, ProfilingError> {
    let fields = profile_fields::Entity::find().count(db).await?;
    let stages = profile_stages::Entity::find().count(db).await?;
    if fields > 0 || stages > 0 {
        return Ok(false);
    }
    replace_config(db, &ValidConfig::defaults(), BasedOn::Anything, None).await?;
    tracing::info!("profiling configuration seeded from the shipped defaults");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::db_test!(the_defaults_round_trip_through_the_database, |db| {
        assert!(seed_defaults_if_empty(db).await.unwrap());
        assert!(!seed_defaults_if_empty(db).await.unwrap(), "seeded once");
        assert_eq!(load_config(db).await.unwrap(), ProfilingConfig::defaults());
    });

    /// The defaults with the first field's label changed to `label`.
    fn relabelled(label: &str) -> ValidConfig {
        let mut config = ProfilingConfig::defaults();
        config.fields[0].label = label.to_string();
        ValidConfig::check(config).expect("a valid configuration")
    }

    crate::db_test!(a_cached_configuration_follows_every_change, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let first = load_versioned(db).await.unwrap();
        // Read again: the same revision, now from the cache, the same configuration.
        assert_eq!(load_versioned(db).await.unwrap(), first);
        let version = replace_config(db, &relabelled("Changed"), BasedOn::Version(first.version), None).await.unwrap();
        let after = load_versioned(db).await.unwrap();
        assert_eq!(after.version, version);
        assert_eq!(after.config.fields[0].label, "Changed", "the change is read, not the cached revision");
        // Inside a transaction too.
        let txn = crate::db::begin_write(db).await.unwrap();
        assert_eq!(load_config(&txn).await.unwrap().fields[0].label, "Changed");
        drop(txn);
    });

    crate::db_test!(a_change_rolled_back_after_it_was_read_is_never_served, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let base = load_versioned(db).await.unwrap();
        // A change read inside its own transaction (cached under the next number)...
        let txn = crate::db::begin_write(db).await.unwrap();
        profiling_revision::Entity::update_many()
            .col_expr(profiling_revision::Column::Version, Expr::col(profiling_revision::Column::Version).add(1))
            .col_expr(profiling_revision::Column::ChangedAt, Expr::value(Utc::now()))
            .filter(profiling_revision::Column::Id.eq(REVISION_ROW))
            .exec(&txn)
            .await
            .unwrap();
        profile_fields::Entity::update_many().col_expr(profile_fields::Column::Label, Expr::value("Rolled back")).exec(&txn).await.unwrap();
        assert_eq!(load_config(&txn).await.unwrap().fields[0].label, "Rolled back");
        txn.rollback().await.unwrap();
        // ...then rolled back: the next change gets that number, and is what is read.
        let version = replace_config(db, &relabelled("Committed"), BasedOn::Version(base.version), None).await.unwrap();
        assert_eq!(version, base.version + 1, "the rolled-back number, given to the next change");
        assert_eq!(load_config(db).await.unwrap().fields[0].label, "Committed");
    });

    crate::db_test!(two_databases_at_the_same_revision_never_share_a_configuration, |db| {
        let other = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => crate::testing::TestDb::postgres().await,
            _ => crate::testing::TestDb::sqlite().await,
        };
        for (conn, label) in [(db, "In the first"), (&other.db, "In the second")] {
            seed_defaults_if_empty(conn).await.unwrap();
            replace_config(conn, &relabelled(label), BasedOn::Anything, None).await.unwrap();
        }
        let (a, b) = (load_versioned(db).await.unwrap(), load_versioned(&other.db).await.unwrap());
        assert_eq!(a.version, b.version, "the same revision number in both");
        assert_eq!((a.config.fields[0].label.as_str(), b.config.fields[0].label.as_str()), ("In the first", "In the second"));
        // Read again (cached now): still each its own.
        assert_eq!(load_config(db).await.unwrap().fields[0].label, "In the first");
        assert_eq!(load_config(&other.db).await.unwrap().fields[0].label, "In the second");
        other.cleanup().await;
    });
}
