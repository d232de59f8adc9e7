//! External form secrets set in the configuration file (`[external_forms.<stage>]` in
//! askonce.toml, or `ASKONCE_EXTERNAL_FORMS__<STAGE>__SECRET`): the site's own secret (seed
//! 002's `SESSION_TOKEN_SECRET`) and issuer for a stage, kept out of the database. While the
//! file names a stage, the console and the API cannot replace its secret.

use std::{collections::BTreeMap, fmt, sync::Arc};

use serde::Deserialize;

use super::handoff::{check_issuer, check_secret, FormError, FormSettings};

/// One stage's settings as the file gives them.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredForm {
    /// 32 to 128 bytes.
    pub secret: String,
    /// The `iss` the form's tokens name; left out: AskOnce's public URL.
    #[serde(default)]
    pub issuer: Option<String>,
}

impl fmt::Debug for ConfiguredForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfiguredForm").field("secret", &"[redacted]").field("issuer", &self.issuer).finish()
    }
}

/// The stages the file sets, checked.
#[derive(Clone, Debug, Default)]
pub struct ConfiguredForms(Arc<BTreeMap<String, ConfiguredForm>>);

impl ConfiguredForms {
    /// The file's stages, each checked as the console checks what a site owner types.
    pub fn new(forms: &BTreeMap<String, ConfiguredForm>) -> Result<Self, String> {
        for (stage, form) in forms {
            check_secret(&form.secret).map_err(|e| format!("external_forms.{stage}.secret: {e}"))?;
            if let Some(issuer) = &form.issuer {
                check_issuer(issuer).map_err(|e| format!("external_forms.{stage}.issuer: {e}"))?;
            }
        }
        Ok(Self(Arc::new(forms.clone())))
    }

    /// What the file sets for `stage`, if anything.
    pub fn get(&self, stage: &str) -> Option<FormSettings> {
        self.0.get(stage).map(|f| FormSettings {
            secret: f.secret.clone(),
            issuer: f.issuer.as_deref().map(str::trim).filter(|i| !i.is_empty()).map(str::to_string),
        })
    }

    /// At start-up: the stored secret of every stage the file sets is deleted, so that if the
    /// file stops setting it (a dropped environment variable, a misspelt key) the stage has no
    /// secret — its form refused until one is set — rather than an old, perhaps leaked, one.
    /// A key that names no external stage is reported (the stage may be made later).
    pub async fn retire_stored(&self, db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        if self.0.is_empty() {
            return Ok(());
        }
        crate::entities::form_secrets::Entity::delete_many()
            .filter(crate::entities::form_secrets::Column::StageKey.is_in(self.0.keys().cloned()))
            .exec(db)
            .await?;
        let config = crate::profiling::load_config(db).await.ok();
        for stage in self.0.keys() {
            let external =
                config.as_ref().and_then(|c| c.stages.iter().find(|s| s.key.as_str() == stage)).is_some_and(|s| s.external.is_some());
            if !external {
                tracing::warn!(stage, "external_forms names a stage that is not (yet) asked by an external form");
            }
        }
        Ok(())
    }

    /// Refuses a change to a stage the file sets.
    pub fn refuse_if_configured(&self, stage: &str) -> Result<(), FormError> {
        match self.0.contains_key(stage) {
            true => Err(FormError::Configured),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(secret: &str, issuer: Option<&str>) -> ConfiguredForm {
        ConfiguredForm { secret: secret.into(), issuer: issuer.map(str::to_string) }
    }

    #[test]
    fn the_files_secrets_are_checked_and_never_printed() {
        let long = "a-site-secret-of-thirty-two-bytes-or-more-0123456789";
        let ok = ConfiguredForms::new(&BTreeMap::from([("work".to_string(), form(long, Some("forms.example.com")))])).unwrap();
        assert_eq!(ok.get("work").unwrap().issuer.as_deref(), Some("forms.example.com"));
        assert!(ok.get("name").is_none());
        assert!(matches!(ok.refuse_if_configured("work"), Err(FormError::Configured)));
        assert!(!format!("{ok:?}").contains(long), "the secret stays out of logs");

        let short = ConfiguredForms::new(&BTreeMap::from([("work".to_string(), form("short", None))])).unwrap_err();
        assert!(short.contains("external_forms.work.secret") && short.contains("32 bytes"), "{short}");
        let control = ConfiguredForms::new(&BTreeMap::from([("work".to_string(), form(long, Some("a\nb")))])).unwrap_err();
        assert!(control.contains("external_forms.work.issuer"), "{control}");
    }
}
