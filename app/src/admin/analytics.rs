//! How the questions perform: per stage and per field, how often they were shown, answered,
//! skipped and abandoned over a period, the answer rate, and the rate day by day. Counted
//! from the prompt history (`prompt_events`); drawn as SVG on the server; exported as CSV.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use domain::profiling::{EventKind, ProfilingConfig};

/// Days, both ends included (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The last `days` days up to `today`.
    pub fn last_days(today: NaiveDate, days: i64) -> Period {
        Period { from: today - Duration::days(days.max(1) - 1), to: today }
    }

    /// From form or query text; `None` for missing, unparsable or reversed dates, or a
    /// period longer than ten years.
    pub fn parse(from: &str, to: &str) -> Option<Period> {
        let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").ok()?;
        let to = NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").ok()?;
        (from <= to && (to - from).num_days() <= 3660).then_some(Period { from, to })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        (self.to + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let (from, to) = (self.from, self.to);
        from.iter_days().take_while(move |d| *d <= to)
    }
}

/// Counts for one stage or field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub shown: u64,
    pub answered: u64,
    pub skipped: u64,
    pub abandoned: u64,
    /// Fields only: left blank when the stage was answered.
    pub declined: u64,
}

impl Counts {
    /// Answered per shown, 0–1 (0 when never shown).
    pub(crate) fn answer_rate(&self) -> f64 {
        if self.shown == 0 {
            0.0
        } else {
            (self.answered as f64 / self.shown as f64).min(1.0)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub counts: Counts,
}

/// One day of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub shown: u64,
    pub answered: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub period: Period,
    pub stages: Vec<Row>,
    pub fields: Vec<Row>,
    /// Per stage key, every day of the period.
    pub daily: BTreeMap<String, Vec<DayPoint>>,
    /// The pages that asked (applications' pages, through the prompt API), most shown first.
    #[serde(default)]
    pub pages: Vec<PageRow>,
    /// Whose pages the report counts ([`AppFilter`]).
    #[serde(default)]
    pub app: AppFilter,
    /// The applications that asked in the period, for the filter's choices.
    #[serde(default)]
    pub apps: Vec<String>,
}

/// One application's page and how its questions did there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageRow {
    pub client_id: String,
    pub page: String,
    pub shown: u64,
    pub answered: u64,
    pub skipped: u64,
}

/// The most pages listed.
pub const MAX_PAGES: usize = 20;

/// Whose pages a report counts: all, AskOnce's own, or one application's (`client_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppFilter {
    #[default]
    All,
    AskOnce,
    App(String),
}

impl AppFilter {
    /// From the `app` query value: empty for all, `askonce` for AskOnce's own pages.
    pub fn parse(value: &str) -> AppFilter {
        match value.trim() {
            "" => AppFilter::All,
            "askonce" => AppFilter::AskOnce,
            client => AppFilter::App(client.to_string()),
        }
    }

    pub fn as_query(&self) -> &str {
        match self {
            AppFilter::All => "",
            AppFilter::AskOnce => "askonce",
            AppFilter::App(client) => client,
        }
    }

    /// Whether an event asked by `client_id` (`None`: AskOnce's own page) is counted.
    pub fn counts(&self, client_id: Option<&str>) -> bool {
        match self {
            AppFilter::All => true,
            AppFilter::AskOnce => client_id.is_none(),
            AppFilter::App(client) => client_id == Some(client.as_str()),
        }
    }
}

/// One prompt event as analytics reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub stage: String,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub fields: Value,
    /// The application whose page asked, and the page (`None`: AskOnce's own pages).
    pub client_id: Option<String>,
    pub page: Option<String>,
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
}

/// Counts `events` (all inside `period`) against the configuration: stages and fields in
/// configuration order, then any that were removed since but still have events.
pub fn aggregate(config: &ProfilingConfig, period: Period, events: &[EventRow]) -> Report {
    let mut stages: BTreeMap<String, Counts> = BTreeMap::new();
    let mut fields: BTreeMap<String, Counts> = BTreeMap::new();
    let mut daily: BTreeMap<String, BTreeMap<NaiveDate, (u64, u64)>> = BTreeMap::new();
    let mut pages: BTreeMap<(String, String), PageRow> = BTreeMap::new();
    let stage_fields = |stage: &str| -> Vec<String> {
        config.stages.iter().find(|s| s.key.as_str() == stage).map(|s| s.fields.iter().map(|f| f.to_string()).collect()).unwrap_or_default()
    };
    for e in events {
        if let (Some(client_id), Some(page)) = (&e.client_id, &e.page) {
            let row = pages.entry((client_id.clone(), page.clone())).or_insert_with(|| PageRow {
                client_id: client_id.clone(),
                page: page.clone(),
                shown: 0,
                answered: 0,
                skipped: 0,
            });
            match e.kind {
                EventKind::Shown => row.shown += 1,
                EventKind::Answered => row.answered += 1,
                EventKind::Skipped => row.skipped += 1,
                EventKind::Abandoned => {}
            }
        }
        let counts = stages.entry(e.stage.clone()).or_default();
        let day = daily.entry(e.stage.clone()).or_default().entry(e.at.date_naive()).or_default();
        // Older events did not list the fields asked: the stage's fields stand in.
        let asked = strings(e.fields.get("asked")).unwrap_or_else(|| stage_fields(&e.stage));
        match e.kind {
            EventKind::Shown => {
                counts.shown += 1;
                day.0 += 1;
                for f in &asked {
                    fields.entry(f.clone()).or_default().shown += 1;
                }
            }
            EventKind::Skipped => {
                counts.skipped += 1;
                for f in &asked {
                    fields.entry(f.clone()).or_default().skipped += 1;
                }
            }
            EventKind::Abandoned => {
                counts.abandoned += 1;
                for f in &asked {
                    fields.entry(f.clone()).or_default().abandoned += 1;
                }
            }
            EventKind::Answered => {
                counts.answered += 1;
                day.1 += 1;
                // `answered` lists targets; map them back to the fields that store there.
                for target in strings(e.fields.get("answered")).unwrap_or_default() {
                    if let Some(field) = config.fields.iter().find(|f| f.target.to_string() == target) {
                        fields.entry(field.key.to_string()).or_default().answered += 1;
                    }
                }
                for f in strings(e.fields.get("declined")).unwrap_or_default() {
                    fields.entry(f).or_default().declined += 1;
                }
            }
        }
    }
    let mut stage_rows: Vec<Row> = config
        .stages
        .iter()
        .map(|s| Row { key: s.key.to_string(), label: s.title.clone(), counts: stages.remove(s.key.as_str()).unwrap_or_default() })
        .collect();
    stage_rows.extend(stages.into_iter().map(|(key, counts)| Row { label: format!("{key} (removed)"), key, counts }));
    let mut field_rows: Vec<Row> = config
        .fields
        .iter()
        .map(|f| Row { key: f.key.to_string(), label: f.label.clone(), counts: fields.remove(f.key.as_str()).unwrap_or_default() })
        .collect();
    field_rows.extend(fields.into_iter().map(|(key, counts)| Row { label: format!("{key} (removed)"), key, counts }));
    let daily = stage_rows
        .iter()
        .map(|row| {
            let per_day = daily.get(&row.key);
            let points = period
                .days()
                .map(|day| {
                    let (shown, answered) = per_day.and_then(|d| d.get(&day)).copied().unwrap_or_default();
                    DayPoint { day, shown, answered }
                })
                .collect();
            (row.key.clone(), points)
        })
        .collect();
    let mut pages: Vec<PageRow> = pages.into_values().collect();
    pages.sort_by(|a, b| b.shown.cmp(&a.shown).then(b.answered.cmp(&a.answered)));
    pages.truncate(MAX_PAGES);
    Report { period, stages: stage_rows, fields: field_rows, daily, pages, app: AppFilter::All, apps: Vec::new() }
}

/// The report as CSV: one line per stage and per field.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from("kind,key,label,shown,answered,skipped,abandoned,declined,answer_rate,from,to\n");
    let quote = crate::escaping::csv_cell;
    for (kind, rows) in [("stage", &report.stages), ("field", &report.fields)] {
        for r in rows {
            let c = &r.counts;
            out.push_str(&format!(
                "{kind},{},{},{},{},{},{},{},{:.4},{},{}\n",
                quote(&r.key),
                quote(&r.label),
                c.shown,
                c.answered,
                c.skipped,
                c.abandoned,
                c.declined,
                c.answer_rate(),
                report.period.from,
                report.period.to
            ));
        }
    }
    // The applications' pages: the key is the application, the label the page (both the
    // applications' words: quoted and defused like every cell).
    for p in &report.pages {
        let rate = if p.shown == 0 { 0.0 } else { (p.answered as f64 / p.shown as f64).min(1.0) };
        out.push_str(&format!(
            "page,{},{},{},{},{},,,{rate:.4},{},{}\n",
            quote(&p.client_id),
            quote(&p.page),
            p.shown,
            p.answered,
            p.skipped,
            report.period.from,
            report.period.to
        ));
    }
    out
}

/// The `points` attribute of an SVG polyline of daily answer rates in a `width`×`height`
/// box (rate 1 at the top). Days without showings are left at the previous rate, so the
/// line does not dive to zero on quiet days.
pub(crate) fn rate_polyline(points: &[DayPoint], width: f64, height: f64) -> String {
    let n = points.len().max(2) - 1;
    let mut last = 0.0;
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.shown > 0 {
                last = (p.answered as f64 / p.shown as f64).min(1.0);
            }
            let x = width * i as f64 / n as f64;
            let y = height * (1.0 - last);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

    use super::*;
    use services::{entities::prompt_events, profiling::load_config, profiling::ProfilingError};

    #[tracing::instrument(skip(db))]
    pub async fn report(db: &DatabaseConnection, period: Period, app: AppFilter) -> Result<Report, ProfilingError> {
        let config = load_config(db).await?;
        let rows = prompt_events::Entity::find()
            .filter(prompt_events::Column::CreatedAt.gte(period.start()))
            .filter(prompt_events::Column::CreatedAt.lt(period.end()))
            .order_by_asc(prompt_events::Column::Id)
            .all(db)
            .await?;
        let apps: std::collections::BTreeSet<String> = rows.iter().filter_map(|r| r.client_id.clone()).collect();
        let events: Vec<EventRow> = rows
            .into_iter()
            .filter(|r| app.counts(r.client_id.as_deref()))
            .filter_map(|r| {
                let kind = EventKind::parse(&r.kind)?;
                Some(EventRow { stage: r.stage_key, kind, at: r.created_at, fields: r.fields, client_id: r.client_id, page: r.page })
            })
            .collect();
        Ok(Report { app, apps: apps.into_iter().collect(), ..aggregate(&config, period, &events) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(day: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc()
    }

    fn ev(stage: &str, kind: EventKind, day: u32, fields: Value) -> EventRow {
        EventRow { stage: stage.into(), kind, at: at(day), fields, client_id: None, page: None }
    }

    #[test]
    fn applications_pages_are_counted_and_their_text_defused_in_the_csv() {
        let config = ProfilingConfig::defaults();
        let period = Period::parse("2026-11-20", "2026-11-22").unwrap();
        let on = |kind, page: &str| EventRow {
            client_id: Some("shop".into()),
            page: Some(page.into()),
            ..ev("subscription", kind, 21, json!({"asked": ["subscribed"]}))
        };
        let events = vec![
            on(EventKind::Shown, "/articles/rust"),
            on(EventKind::Answered, "/articles/rust"),
            on(EventKind::Shown, "=HYPERLINK(\"http://evil.example\")"),
            ev("subscription", EventKind::Shown, 21, json!({})),
        ];
        let report = aggregate(&config, period, &events);
        assert_eq!(report.pages.len(), 2);
        assert_eq!((report.pages[0].page.as_str(), report.pages[0].shown, report.pages[0].answered), ("/articles/rust", 1, 1));
        let csv = to_csv(&report);
        assert!(csv.contains("page,\"shop\",\"/articles/rust\",1,1,0,,,1.0000,"), "{csv}");
        assert!(!csv.contains(",\"=HYPERLINK"), "a formula is defused: {csv}");
        assert!(AppFilter::parse("askonce").counts(None) && !AppFilter::parse("askonce").counts(Some("shop")));
        assert!(AppFilter::parse("shop").counts(Some("shop")) && !AppFilter::parse("shop").counts(None));
        assert!(AppFilter::parse("").counts(Some("forum")));
    }

    #[test]
    fn stages_and_fields_are_counted_with_rates() {
        let config = ProfilingConfig::defaults();
        let period = Period::parse("2026-11-20", "2026-11-22").unwrap();
        let events = vec![
            ev("name", EventKind::Shown, 20, json!({"asked": ["given_name", "family_name"]})),
            ev("name", EventKind::Answered, 20, json!({"answered": ["given_name"], "declined": ["family_name"]})),
            ev("name", EventKind::Shown, 21, json!({})),
            ev("name", EventKind::Skipped, 21, json!({"asked": ["given_name", "family_name"]})),
            ev("work", EventKind::Shown, 22, json!({"asked": ["company"]})),
            ev("work", EventKind::Abandoned, 22, json!({})),
            ev("gone", EventKind::Shown, 22, json!({"asked": ["old_field"]})),
        ];
        let report = aggregate(&config, period, &events);
        let name = &report.stages[0];
        assert_eq!((name.key.as_str(), name.counts.shown, name.counts.answered, name.counts.skipped), ("name", 2, 1, 1));
        assert!((name.counts.answer_rate() - 0.5).abs() < 1e-9);
        let given = report.fields.iter().find(|f| f.key == "given_name").unwrap();
        assert_eq!((given.counts.shown, given.counts.answered, given.counts.skipped), (2, 1, 1));
        let family = report.fields.iter().find(|f| f.key == "family_name").unwrap();
        assert_eq!(family.counts.declined, 1);
        let work = report.stages.iter().find(|s| s.key == "work").unwrap();
        assert_eq!(work.counts.abandoned, 1);
        assert!(report.stages.iter().any(|s| s.key == "gone" && s.label.contains("removed")));
        assert_eq!(report.daily["name"].len(), 3, "every day of the period");
        assert_eq!(report.daily["name"][0].answered, 1);
        let csv = to_csv(&report);
        assert!(csv.starts_with("kind,key,label"));
        assert!(csv.contains("stage,\"name\",\"Welcome! What should we call you?\",2,1,1,0,0,0.5000,2026-11-20,2026-11-22\n"), "{csv}");
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        let report = Report {
            period: Period::parse("2026-11-01", "2026-11-01").unwrap(),
            stages: vec![Row { key: "s".into(), label: "=HYPERLINK(\"x\")".into(), counts: Counts::default() }],
            fields: vec![
                Row { key: "f".into(), label: "\t=1+1".into(), counts: Counts::default() },
                Row { key: "g".into(), label: "\r=1+1".into(), counts: Counts::default() },
            ],
            daily: BTreeMap::new(),
            pages: vec![PageRow { client_id: "@shop".into(), page: "=cmd|' /C calc'!A0".into(), shown: 1, answered: 0, skipped: 0 }],
            app: AppFilter::All,
            apps: vec![],
        };
        let csv = to_csv(&report);
        assert!(csv.contains("page,\"'@shop\",\"'=cmd|' /C calc'!A0\""), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""));
        // A tab or CR first is dropped by some spreadsheets, which then read the formula.
        assert!(csv.contains("\"'\t'=1+1\"") && csv.contains("\"'\r'=1+1\""), "{csv}");
    }

    #[test]
    fn periods_are_checked_and_bounded() {
        assert!(Period::parse("2026-11-02", "2026-11-01").is_none());
        assert!(Period::parse("2026-11-01", "nope").is_none());
        assert!(Period::parse("2000-01-01", "2026-01-01").is_none());
        let p = Period::last_days(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), 7);
        assert_eq!(p.from.to_string(), "2026-11-16");
        assert_eq!(p.days().count(), 7);
        assert_eq!(p.end() - p.start(), Duration::days(7));
    }

    #[test]
    fn the_rate_line_holds_its_level_on_quiet_days() {
        let day = |d, shown, answered| DayPoint { day: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(), shown, answered };
        let line = rate_polyline(&[day(1, 2, 1), day(2, 0, 0), day(3, 1, 1)], 100.0, 50.0);
        assert_eq!(line, "0.0,25.0 50.0,25.0 100.0,0.0");
    }
}
