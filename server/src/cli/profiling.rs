//! `askonce profiling export|import`: the whole progressive-profiling configuration as one
//! JSON or TOML document, for review, version control and moving between environments.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use domain::{profiling::ConfigProblem, profiling::ProfilingConfig, profiling::ValidConfig};
use services::{profiling::load_config, profiling::replace_config, profiling::BasedOn, profiling::ConfigAudit};

use crate::cli::error::{CommandError, Doing};
use crate::config::Settings;

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum ProfilingCommand {
    /// Print the whole configuration (JSON or TOML) to standard output.
    Export {
        #[arg(long, default_value = "json", value_parser = ["json", "toml"])]
        format: String,
    },
    /// Replace the whole configuration with FILE (.json or .toml), after checking it. A
    /// file with any problem changes nothing; every problem is listed.
    Import { file: PathBuf },
}

pub async fn run(settings: &Settings, action: &ProfilingCommand) -> Result<(), CommandError> {
    let db = crate::cli::admin::open(settings).await?;
    let result = match action {
        ProfilingCommand::Export { format } => {
            let config = load_config(&db).await.doing("loading the profiling configuration")?;
            println!("{}", render(&config, format).doing("writing the configuration")?);
            Ok(())
        }
        ProfilingCommand::Import { file } => {
            let config = parse_file(file)?;
            let audit = ConfigAudit {
                actor: services::audit::Actor::Cli,
                action: services::audit::Action::QuestionsImported,
                details: serde_json::json!({ "file": file.display().to_string() }),
            };
            replace_config(&db, &config, BasedOn::Anything, Some(audit)).await.doing("saving the profiling configuration")?;
            eprintln!("imported {} fields and {} stages", config.fields.len(), config.stages.len());
            Ok(())
        }
    };
    db.close().await.ok();
    result
}

pub fn render(config: &ProfilingConfig, format: &str) -> Result<String, RenderError> {
    Ok(match format {
        "toml" => toml::to_string_pretty(config)?,
        _ => serde_json::to_string_pretty(config)?,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Toml(#[from] toml::ser::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Reads and checks a document; every problem is reported, with where it is.
pub(crate) fn parse_file(path: &Path) -> Result<ValidConfig, CommandError> {
    let text = std::fs::read_to_string(path).doing(format!("cannot read {}", path.display()))?;
    let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    parse(&text, is_toml).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        CommandError::Refused(format!("{} was not imported; nothing changed:\n{}", path.display(), list.join("\n")))
    })
}

pub fn parse(text: &str, is_toml: bool) -> Result<ValidConfig, Vec<ConfigProblem>> {
    if !is_toml {
        return ValidConfig::from_json(text);
    }
    let config: ProfilingConfig =
        toml::from_str(text).map_err(|e| vec![ConfigProblem { location: "document".into(), message: e.to_string() }])?;
    ValidConfig::check(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_round_trip_through_json_and_toml() {
        let config = ProfilingConfig::defaults();
        for (format, is_toml) in [("json", false), ("toml", true)] {
            let text = render(&config, format).unwrap();
            assert_eq!(*parse(&text, is_toml).unwrap(), config, "{format}");
        }
    }

    #[test]
    fn a_bad_document_lists_every_problem() {
        let toml = r#"
[[fields]]
key = "company"
label = "Company"
kind = "text"
target = "app_metadata.company"
"#;
        let problems = parse(toml, true).unwrap_err();
        assert!(problems[0].message.contains("app_metadata"), "{problems:?}");
    }

    mod hostile_input {
        use proptest::prelude::*;

        use super::*;

        fn defaults_toml() -> String {
            render(&ProfilingConfig::defaults(), "toml").unwrap()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// The TOML importer takes any text without panicking; whatever it accepts passed
            /// every check (a refused document is refused whole, so it changes nothing).
            #[test]
            fn the_toml_importer_takes_any_text(text in ".{0,300}") {
                if let Ok(config) = parse(&text, true) {
                    prop_assert!(ValidConfig::check(config.into_inner()).is_ok());
                }
            }

            /// The shipped configuration as TOML with a slice of it replaced by anything: near
            /// misses reach deeper than random text (wrong types, broken tables, bad patterns).
            #[test]
            fn near_misses_of_a_real_document_are_handled(at in 0usize..4000, len in 0usize..40, with in ".{0,40}") {
                let mut text = defaults_toml();
                let start = text.char_indices().map(|(i, _)| i).nth(at % text.chars().count()).unwrap_or(0);
                let end = text[start..].char_indices().map(|(i, _)| start + i).nth(len).unwrap_or(text.len());
                text.replace_range(start..end, &with);
                if let Ok(config) = parse(&text, true) {
                    prop_assert!(ValidConfig::check(config.into_inner()).is_ok());
                }
                // The same near miss read as JSON by the JSON importer.
                let json = render(&ProfilingConfig::defaults(), "json").unwrap();
                let start = json.char_indices().map(|(i, _)| i).nth(at % json.chars().count()).unwrap_or(0);
                let end = json[start..].char_indices().map(|(i, _)| start + i).nth(len).unwrap_or(json.len());
                let mut json = json;
                json.replace_range(start..end, &with);
                let _ = parse(&json, false);
            }
        }
    }
}
