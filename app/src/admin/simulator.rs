//! The simulator: what the engine would ask a given person at a given moment, and for every
//! field it would not ask, why — in words. Runs the real engine on the real profile and
//! history, and writes nothing (no claim copies, no `shown` events).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use domain::{
    profile::Provenance, profiling::engine::KnownFrom, profiling::engine::NotAsked, profiling::Decision, profiling::Moment,
    profiling::ProfilingConfig,
};

/// One line of the verdict for a stage or a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub stage: String,
    /// `None`: the line is about the stage as a whole.
    pub field: Option<String>,
    pub asked: bool,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub user_id: String,
    pub user_label: String,
    pub moment: Moment,
    /// The stage that would be shown, if any.
    pub stage: Option<String>,
    pub verdicts: Vec<Verdict>,
}

/// The simulator form's moment: `event` signup | login | context. `None`: a login with no
/// number, meaning the person's next login (worked out from the user found).
pub fn moment_from_form(
    event: &str,
    login_number: Option<&str>,
    context: Option<&str>,
    tags: Option<&str>,
) -> Result<Option<Moment>, InvalidMoment> {
    Ok(match event {
        "signup" => Some(Moment::Signup),
        "context" => Some(Moment::Context {
            name: context.unwrap_or_default().trim().to_string(),
            tags: tags.unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect(),
        }),
        _ => match login_number.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(Moment::Login { number: n.parse::<u32>().map_err(|_| InvalidMoment)?.max(1) }),
            None => None,
        },
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The login number must be a whole number.")]
pub struct InvalidMoment;

fn day(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn stage_reason(reason: &NotAsked) -> Option<(String, String)> {
    Some(match reason {
        NotAsked::StageDisabled { stage } => (stage.to_string(), "stage is disabled".into()),
        NotAsked::StageNotForThisMoment { stage } => (stage.to_string(), "stage is not triggered at this moment".into()),
        NotAsked::ConditionNotMet { stage, failed } if failed.is_empty() => {
            (stage.to_string(), "the stage's condition is not met by this profile".into())
        }
        NotAsked::ConditionNotMet { stage, failed } => {
            (stage.to_string(), format!("the stage's condition is not met: {}", failed.join("; ")))
        }
        NotAsked::StageInCooldown { stage, until, until_login } => {
            let mut parts = Vec::new();
            if let Some(at) = until {
                parts.push(format!("until {}", day(at)));
            }
            if let Some(n) = until_login {
                parts.push(format!("until login {n}"));
            }
            (stage.to_string(), format!("stage skipped, in cooldown {}", parts.join(" and ")))
        }
        NotAsked::StageSkippedForGood { stage } => (stage.to_string(), "stage was skipped and has no cooldown: never asked again".into()),
        NotAsked::LoginStageAlreadyShown { stage } => {
            (stage.to_string(), "another stage was already shown at this login (one per login)".into())
        }
        NotAsked::LaterStage { stage } => (stage.to_string(), "an earlier stage is asked first".into()),
        NotAsked::Known { .. } | NotAsked::Declined { .. } => return None,
    })
}

/// Puts the engine's decision into words, stage by stage and field by field.
/// `provenance`: the profile's, to say where a known value came from.
pub fn explain(config: &ProfilingConfig, decision: &Decision, provenance: &BTreeMap<String, Provenance>) -> Vec<Verdict> {
    let mut stage_whys: BTreeMap<String, String> = BTreeMap::new();
    let mut field_whys: BTreeMap<String, String> = BTreeMap::new();
    for reason in &decision.not_asked {
        if let Some((stage, why)) = stage_reason(reason) {
            stage_whys.entry(stage).or_insert(why);
            continue;
        }
        match reason {
            NotAsked::Known { field, source } => {
                let target = config.field(field).map(|f| f.target.to_string()).unwrap_or_default();
                let why = match source {
                    KnownFrom::Claim { connection, claim } => format!("known: {target} from the {connection} claim `{claim}`"),
                    KnownFrom::Profile => match provenance.get(&target) {
                        Some(p) => format!("known: {target} ({}, {})", describe_source(&p.source), day(&p.at)),
                        None => format!("known: {target} is already in the profile"),
                    },
                };
                field_whys.insert(field.to_string(), why);
            }
            NotAsked::Declined { field, at } => {
                field_whys.insert(field.to_string(), format!("left blank when answered on {}: not asked again", day(at)));
            }
            _ => {}
        }
    }
    for fill in &decision.from_claims {
        field_whys.entry(fill.field.to_string()).or_insert_with(|| {
            format!("known: {} from the {} claim `{}` (copied in at sign-in)", fill.target, fill.connection, fill.claim)
        });
    }
    let shown = decision.prompt.as_ref();
    let mut out = Vec::new();
    for stage in &config.stages {
        let key = stage.key.to_string();
        let is_shown = shown.is_some_and(|p| p.stage == stage.key);
        let completed = decision.completed_silently.contains(&stage.key);
        let stage_why = if is_shown {
            "shown now".to_string()
        } else if completed {
            "every field is already known: completes without asking".to_string()
        } else {
            stage_whys.get(&key).cloned().unwrap_or_else(|| "not reached".to_string())
        };
        out.push(Verdict { stage: key.clone(), field: None, asked: is_shown, why: stage_why.clone() });
        for field in &stage.fields {
            let asked = shown.is_some_and(|p| p.stage == stage.key && p.fields.iter().any(|f| &f.key == field));
            let why = if asked {
                "asked now".to_string()
            } else if let Some(why) = field_whys.get(field.as_str()) {
                why.clone()
            } else if let Some((target, p)) =
                config.field(field).map(|f| f.target.to_string()).and_then(|t| provenance.get(&t).map(|p| (t, p)))
            {
                // Known whatever its stage does: say so first, it is why it will never be asked.
                format!("known: {target} ({}, {})", describe_source(&p.source), day(&p.at))
            } else {
                format!("its stage is not asked: {stage_why}")
            };
            out.push(Verdict { stage: key.clone(), field: Some(field.to_string()), asked, why });
        }
    }
    out
}

fn describe_source(source: &domain::profile::Source) -> String {
    use domain::profile::Source;
    match source {
        Source::Claim { connection, claim } => format!("from the {connection} claim `{claim}`"),
        Source::User => "answered by the user".into(),
        Source::Admin => "set by an admin".into(),
        Source::Import => "imported".into(),
        Source::Api => "set through the API".into(),
        Source::Link => "verified by a link emailed to the address".into(),
        Source::Hook { name } => format!("set by the `{name}` hook"),
        Source::Form { stage } => format!("answered by the user in the external form of stage `{stage}`"),
        Source::Context { from } => format!("taken from the context (`{from}`) when a stage was answered"),
        Source::App { client } => format!("answered by the user on the pages of application `{client}`"),
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::Utc;
    use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

    use super::{explain, Simulation};
    use domain::{profile::Provenance, profiling::decide, profiling::Moment};
    use services::{entities::users, profiling::facts_for, profiling::history_for, profiling::load_config, profiling::ProfilingError};

    /// Simulates `moment` (default: the person's next login) for the user with this id or
    /// email; `None` when there is none.
    #[tracing::instrument(skip(db))]
    pub(crate) async fn simulate(db: &DatabaseConnection, who: &str, moment: Option<Moment>) -> Result<Option<Simulation>, ProfilingError> {
        let who = who.trim();
        let user = match users::Entity::find_by_id(who.to_string()).one(db).await? {
            Some(u) => Some(u),
            None => {
                users::Entity::find()
                    .filter(users::Column::EmailNormalized.eq(domain::profile::verification::normalize_address(who)))
                    .one(db)
                    .await?
            }
        };
        let Some(user) = user else { return Ok(None) };
        let moment = moment.unwrap_or(Moment::Login { number: user.logins_count.max(0) as u32 + 1 });
        let config = load_config(db).await?;
        let mut facts = facts_for(db, &user).await?;
        // A simulated login is the next one: the engine sees the count it would see then.
        if let Moment::Login { number } = &moment {
            facts.logins_count = *number;
        }
        if moment == Moment::Signup {
            facts.logins_count = 1;
        }
        let history = history_for(db, &user.user_id()).await?;
        let decision = decide(&config, &facts, &history, &moment, Utc::now());
        let provenance = user
            .provenance
            .as_object()
            .map(|m| m.iter().filter_map(|(k, v)| serde_json::from_value::<Provenance>(v.clone()).ok().map(|p| (k.clone(), p))).collect())
            .unwrap_or_default();
        Ok(Some(Simulation {
            user_label: user.email.clone().or(user.name.clone()).unwrap_or_else(|| user.id.clone()),
            user_id: user.id,
            stage: decision.prompt.as_ref().map(|p| p.stage.to_string()),
            verdicts: explain(&config, &decision, &provenance),
            moment,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::profiling::{decide, ProfileFacts};
    use serde_json::json;

    #[test]
    fn every_field_gets_a_reason_in_words() {
        let config = ProfilingConfig::defaults();
        let mut facts = ProfileFacts { logins_count: 1, ..Default::default() };
        facts.identity_claims.push(("google".into(), json!({"given_name": "Ada"}).as_object().unwrap().clone()));
        let decision = decide(&config, &facts, &[], &Moment::Signup, Utc::now());
        let verdicts = explain(&config, &decision, &BTreeMap::new());
        let given = verdicts.iter().find(|v| v.field.as_deref() == Some("given_name")).unwrap();
        assert!(!given.asked);
        assert!(given.why.contains("google") && given.why.contains("given_name"), "{given:?}");
        let family = verdicts.iter().find(|v| v.field.as_deref() == Some("family_name")).unwrap();
        assert!(family.asked);
        let work = verdicts.iter().find(|v| v.stage == "work" && v.field.is_none()).unwrap();
        assert!(!work.asked && !work.why.is_empty());
        let company = verdicts.iter().find(|v| v.field.as_deref() == Some("company")).unwrap();
        assert!(company.why.starts_with("its stage is not asked"), "{company:?}");
        // A value the profile holds is reported as known even where its stage is not asked.
        let at = DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap().with_timezone(&Utc);
        let provenance = BTreeMap::from([(
            "user_metadata.company".to_string(),
            Provenance { source: domain::profile::Source::User, at, address: None },
        )]);
        let verdicts = explain(&config, &decision, &provenance);
        let company = verdicts.iter().find(|v| v.field.as_deref() == Some("company")).unwrap();
        assert_eq!(company.why, "known: user_metadata.company (answered by the user, 2026-11-20)");
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    #[test]
    fn the_form_names_each_moment() {
        assert_eq!(moment_from_form("signup", None, None, None), Ok(Some(Moment::Signup)));
        assert_eq!(moment_from_form("login", Some(" 3 "), None, None), Ok(Some(Moment::Login { number: 3 })));
        assert_eq!(moment_from_form("login", Some("0"), None, None), Ok(Some(Moment::Login { number: 1 })));
        assert_eq!(moment_from_form("login", Some(""), None, None), Ok(None), "no number: their next login");
        assert_eq!(
            moment_from_form("context", None, Some(" article "), Some("ai, ,news")),
            Ok(Some(Moment::Context { name: "article".into(), tags: vec!["ai".into(), "news".into()] }))
        );
        assert_eq!(moment_from_form("login", Some("three"), None, None), Err(InvalidMoment));
    }
}
