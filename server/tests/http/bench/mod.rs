//! Benchmarks, ignored in ordinary runs: `scripts/bench-*.sh` run them with `--ignored` and a
//! filter on their module (`bench::callback`, `bench::admin_search`).

mod admin_search;
mod callback;
mod change_report;

use std::time::Duration;

/// The `p` quantile (0 to 1) of `sorted` samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The PostgreSQL database `name` (created when missing, kept between runs: filling it is
/// the slow part), migrated.
async fn bench_database(name: &str) -> sea_orm::DatabaseConnection {
    use sea_orm::{ConnectionTrait, Statement};
    let admin_url = services::testing::postgres_admin_url();
    let connect = |url: String, max_connections| services::db::DbConfig { url, max_connections, connect_timeout: Duration::from_secs(10) };
    let admin = services::db::connect(&connect(admin_url.clone(), 1)).await.unwrap();
    let exists = admin
        .query_one(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .unwrap();
    if exists.is_none() {
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    }
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let db = services::db::connect(&connect(url, 4)).await.unwrap();
    services::db::migrate(&db).await.unwrap();
    db
}

/// How many users the benchmark database holds.
async fn user_count(db: &sea_orm::DatabaseConnection) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_one(Statement::from_string(db.get_database_backend(), "SELECT count(*) AS n FROM users"))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}
