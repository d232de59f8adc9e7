//! `GET /admin/analytics.csv?from=&to=&app=`: the analytics report as a CSV download, for admins
//! signed in to the console.

use app::{admin::analytics, admin::analytics::Period, error::AppError, state::AppState};
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{error::HttpError, middleware::session_user::RequireAdmin};

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Whose pages: empty for all, `askonce`, or an application's `client_id`.
    #[serde(default)]
    app: String,
}

pub async fn download(State(state): State<AppState>, _admin: RequireAdmin, Query(q): Query<PeriodQuery>) -> Response {
    let period = if q.from.is_empty() && q.to.is_empty() {
        Period::last_days(chrono::Utc::now().date_naive(), 30)
    } else {
        match Period::parse(&q.from, &q.to) {
            Some(p) => p,
            None => return HttpError::bad_request("from and to must be YYYY-MM-DD dates, from on or before to").into_response(),
        }
    };
    match analytics::ssr::report(&state.db, period, analytics::AppFilter::parse(&q.app)).await {
        Ok(report) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"askonce-analytics-{}-{}.csv\"", period.from, period.to)),
            ],
            analytics::to_csv(&report),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "analytics export failed");
            HttpError::from(AppError::Internal).into_response()
        }
    }
}
