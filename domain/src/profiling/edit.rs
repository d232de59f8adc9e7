//! Editing the profiling configuration: one change ([`Edit`]) applied to the whole
//! configuration and checked with the very checks an import passes ([`ValidConfig::check`]).
//! Pure: the console's forms and the management API build the edits; the console's store
//! (`admin::questions::ssr`) saves the result.

use serde::{Deserialize, Serialize};

use super::{ConfigProblem, Field, FieldKey, ProfilingConfig, Stage, StageKey, ValidConfig};

/// Up or down in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

/// One change to the configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Create (`original: None`) or replace a field; a changed key renames it in stages too.
    SaveField {
        original: Option<FieldKey>,
        field: Field,
    },
    DeleteField(FieldKey),
    MoveField(FieldKey, Direction),
    SaveStage {
        original: Option<StageKey>,
        stage: Stage,
    },
    DeleteStage(StageKey),
    MoveStage(StageKey, Direction),
    SetStageEnabled(StageKey, bool),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("there is no {0}")]
    NotFound(String),
    #[error("the change was refused: {}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Problems(Vec<ConfigProblem>),
}

fn moved<T>(items: &mut [T], index: usize, direction: Direction) {
    match direction {
        Direction::Up if index > 0 => items.swap(index, index - 1),
        Direction::Down if index + 1 < items.len() => items.swap(index, index + 1),
        _ => {}
    }
}

/// The configuration after `edit`, if it passes every check.
pub fn apply(config: &ProfilingConfig, edit: Edit) -> Result<ValidConfig, EditError> {
    let mut next = config.clone();
    let field_at = |c: &ProfilingConfig, k: &FieldKey| {
        c.fields.iter().position(|f| &f.key == k).ok_or_else(|| EditError::NotFound(format!("field `{k}`")))
    };
    let stage_at = |c: &ProfilingConfig, k: &StageKey| {
        c.stages.iter().position(|s| &s.key == k).ok_or_else(|| EditError::NotFound(format!("stage `{k}`")))
    };
    match edit {
        Edit::SaveField { original: None, field } => {
            if config.field(&field.key).is_some() {
                return Err(EditError::Problems(vec![ConfigProblem {
                    location: format!("fields.{}", field.key),
                    message: "a field with this key already exists".into(),
                }]));
            }
            next.fields.push(field);
        }
        Edit::SaveField { original: Some(original), field } => {
            let i = field_at(config, &original)?;
            if field.key != original {
                for stage in &mut next.stages {
                    for key in &mut stage.fields {
                        if *key == original {
                            *key = field.key.clone();
                        }
                    }
                }
            }
            next.fields[i] = field;
        }
        Edit::DeleteField(key) => {
            let i = field_at(config, &key)?;
            next.fields.remove(i);
            // Stages stop asking it; a stage left with no field is reported by the checks.
            for stage in &mut next.stages {
                stage.fields.retain(|f| f != &key);
            }
        }
        Edit::MoveField(key, direction) => {
            let i = field_at(config, &key)?;
            moved(&mut next.fields, i, direction);
        }
        Edit::SaveStage { original: None, stage } => {
            if config.stage(&stage.key).is_some() {
                return Err(EditError::Problems(vec![ConfigProblem {
                    location: format!("stages.{}", stage.key),
                    message: "a stage with this key already exists".into(),
                }]));
            }
            next.stages.push(stage);
        }
        Edit::SaveStage { original: Some(original), stage } => {
            let i = stage_at(config, &original)?;
            next.stages[i] = stage;
        }
        Edit::DeleteStage(key) => {
            let i = stage_at(config, &key)?;
            next.stages.remove(i);
        }
        Edit::MoveStage(key, direction) => {
            let i = stage_at(config, &key)?;
            moved(&mut next.stages, i, direction);
        }
        Edit::SetStageEnabled(key, enabled) => {
            let i = stage_at(config, &key)?;
            next.stages[i].enabled = enabled;
        }
    }
    ValidConfig::check(next).map_err(EditError::Problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> FieldKey {
        FieldKey::parse(s).unwrap()
    }

    #[test]
    fn renaming_a_field_renames_it_in_stages_and_keeps_its_place() {
        let config = ProfilingConfig::defaults();
        let mut field = config.field(&key("company")).unwrap().clone();
        field.key = key("employer");
        let next = apply(&config, Edit::SaveField { original: Some(key("company")), field }).unwrap();
        assert_eq!(
            next.fields.iter().position(|f| f.key.as_str() == "employer"),
            config.fields.iter().position(|f| f.key.as_str() == "company")
        );
        assert!(next.stage(&key("work")).unwrap().fields.contains(&key("employer")));
    }

    #[test]
    fn edits_pass_the_import_checks() {
        let config = ProfilingConfig::defaults();
        // Deleting the only field of a stage leaves the stage empty: refused, with where.
        let err = apply(&config, Edit::DeleteField(key("subscribed"))).unwrap_err();
        let EditError::Problems(problems) = err else { panic!("{err:?}") };
        assert!(problems.iter().any(|p| p.location == "stages.subscription.fields"), "{problems:?}");
        // A duplicate key is refused.
        let dup = config.fields[0].clone();
        assert!(matches!(apply(&config, Edit::SaveField { original: None, field: dup }), Err(EditError::Problems(_))));
        assert!(matches!(apply(&config, Edit::DeleteStage(key("nope"))), Err(EditError::NotFound(_))));
    }

    #[test]
    fn stages_move_and_toggle() {
        let config = ProfilingConfig::defaults();
        let next = apply(&config, Edit::MoveStage(key("work"), Direction::Up)).unwrap();
        assert_eq!(next.stages[0].key.as_str(), "work");
        let same = apply(&next, Edit::MoveStage(key("work"), Direction::Up)).unwrap();
        assert_eq!(same.stages[0].key.as_str(), "work", "already first");
        let off = apply(&config, Edit::SetStageEnabled(key("name"), false)).unwrap();
        assert!(!off.stages[0].enabled);
    }
}
