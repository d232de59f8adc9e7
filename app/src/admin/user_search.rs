//! The user directory's search on PostgreSQL, fast at a million users (SQLite scans; see
//! `users::ssr::search`).
//!
//! The searched text is stored in `users.search_text` with a trigram index on it (migration
//! `m20261124_000006`). A page is the `limit` newest matches past the cursor, found one of two
//! ways, each exact:
//!
//! 1. **Walk** the `(created_at, id)` index newest first, filtering, but read at most
//!    [`WALK_FIRST`] rows. A broad term fills its page here. If the walk found a few matches,
//!    or the sample says the term is common, walk further (see [`search`]).
//! 2. **Candidates**: ask the trigram index for the rows holding a few *pieces* of the term,
//!    rarest first, then filter by the whole term, sort and keep `limit`. The pieces are chosen
//!    here rather than by the operator because a GIN scan costs what its most common trigram
//!    costs: every row holds `use`, `exa`, `com`, so `LIKE '%user123457@example%'` read all
//!    of their posting lists (~100 ms) where `'%123%'`, `'%457%'`… as separate conditions,
//!    rarest first, leapfrog over a few hundred entries (< 1 ms). How common a piece is comes
//!    from PostgreSQL's own sample of the column (the `pg_stats` histogram that `ANALYZE`
//!    keeps), read once every ten minutes.
//!
//! Measurements, thresholds and the limits (terms whose every trigram is common but which
//! match few rows) are in BENCHMARKS.md, "Admin user search at a million users".

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, Statement};

use super::users::{contains_literal, contains_pattern, Cursor};
use services::entities::users;

/// Rows the first walk reads at most (~0.6 ms).
const WALK_FIRST: i64 = 500;
/// A first walk with at least this many matches estimates the term's density well enough to
/// walk on.
const WALK_ON_HITS: usize = 3;
/// Rows a density-based second walk reads at most (~12 ms).
const WALK_MORE: i64 = 10_000;
/// Rows walked per match the sample predicts before the candidates are asked for instead: a
/// candidate costs about 1.5 walked rows. Keeps a common term whose newest rows happen not to
/// match (a burst of sign-ups from one company) off a million-candidate bitmap.
const WALK_PER_EXPECTED_MATCH: f64 = 1.5;
/// Pieces given to the trigram index at most.
const MAX_PIECES: usize = 6;
/// How long one sample of the searched text is used.
const SAMPLE_TTL: Duration = Duration::from_secs(600);

/// The `limit` newest users past `from` whose searched text contains `term` (trimmed,
/// non-empty), newest first.
pub async fn search(db: &DatabaseConnection, term: &str, from: Option<&Cursor>, limit: u64) -> Result<Vec<users::Model>, DbErr> {
    let lowered = term.trim().to_lowercase();
    let pattern = contains_pattern(term);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let pieces = trigram_pieces(&lowered);
    if pieces.is_empty() {
        // One or two letters, or punctuation: the trigram index cannot help, the walk can.
        return walk(db, &pattern, from, None, limit).await;
    }
    let rows = walk(db, &pattern, from, Some(WALK_FIRST), limit).await?;
    if fills(&rows, limit) {
        return Ok(rows);
    }
    let sample = sample(db).await;
    let mut more = 0;
    if rows.len() >= WALK_ON_HITS {
        // Twice the rows this density needs for a page.
        let needed = 2 * limit * WALK_FIRST / i64::try_from(rows.len()).unwrap_or(1);
        more = needed.min(WALK_MORE);
    }
    if !sample.texts.is_empty() {
        let hits = sample.texts.iter().filter(|t| t.contains(lowered.as_str())).count();
        let expected = sample.rows * hits as f64 / sample.texts.len() as f64;
        more = more.max((WALK_PER_EXPECTED_MATCH * expected) as i64);
    }
    if more > WALK_FIRST {
        let rows = walk(db, &pattern, from, Some(more), limit).await?;
        if fills(&rows, limit) {
            return Ok(rows);
        }
    }
    candidates(db, &pattern, &choose(&pieces, &sample), from, limit).await
}

fn fills(rows: &[users::Model], limit: i64) -> bool {
    i64::try_from(rows.len()).unwrap_or(i64::MAX) >= limit
}

/// The newest rows past `from` (at most `rows` of them, all when `None`) whose text matches.
async fn walk(
    db: &DatabaseConnection,
    pattern: &str,
    from: Option<&Cursor>,
    rows: Option<i64>,
    limit: i64,
) -> Result<Vec<users::Model>, DbErr> {
    let mut q = Query::default();
    let past = from.map(|c| q.past(c));
    let sql = match rows {
        Some(rows) => {
            let past = past.map(|p| format!("WHERE {p} ")).unwrap_or_default();
            let (rows, pattern, limit) = (q.bind(rows), q.bind(pattern), q.bind(limit));
            format!(
                "SELECT * FROM (SELECT * FROM users {past}ORDER BY created_at DESC, id DESC LIMIT {rows}) AS recent \
                 WHERE search_text LIKE {pattern} ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT {limit}"
            )
        }
        None => {
            let past = past.map(|p| format!(" AND {p}")).unwrap_or_default();
            let (pattern, limit) = (q.bind(pattern), q.bind(limit));
            format!(
                "SELECT * FROM users WHERE search_text LIKE {pattern} ESCAPE '\\'{past} ORDER BY created_at DESC, id DESC LIMIT {limit}"
            )
        }
    };
    q.all(db, sql).await
}

/// The rows holding every piece (trigram index), then the whole term; newest `limit`. `OFFSET
/// 0` keeps the whole term out of the index scan and the planner off the ordered walk.
async fn candidates(
    db: &DatabaseConnection,
    pattern: &str,
    pieces: &[String],
    from: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<users::Model>, DbErr> {
    let mut q = Query::default();
    let mut conditions: Vec<String> =
        pieces.iter().map(|p| format!("search_text LIKE {} ESCAPE '\\'", q.bind(contains_literal(p).as_str()))).collect();
    if let Some(c) = from {
        conditions.push(q.past(c));
    }
    let (pattern, limit) = (q.bind(pattern), q.bind(limit));
    let sql = format!(
        "SELECT users.* FROM (SELECT id, created_at FROM \
         (SELECT id, created_at, search_text FROM users WHERE {} OFFSET 0) AS candidates \
         WHERE search_text LIKE {pattern} ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT {limit}) AS page \
         JOIN users USING (id) ORDER BY page.created_at DESC, page.id DESC",
        conditions.join(" AND ")
    );
    q.all(db, sql).await
}

/// SQL text with numbered parameters.
#[derive(Default)]
struct Query {
    values: Vec<sea_orm::Value>,
}

impl Query {
    fn bind(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Rows past `c`, newest first; the `created_at <=` bound lets the index start there.
    fn past(&mut self, c: &Cursor) -> String {
        let (at, id) = (self.bind(c.created_at), self.bind(c.id.as_str()));
        format!("created_at <= {at} AND (created_at < {at} OR (created_at = {at} AND id < {id}))")
    }

    async fn all(self, db: &DatabaseConnection, sql: String) -> Result<Vec<users::Model>, DbErr> {
        users::Entity::find().from_raw_sql(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, self.values)).all(db).await
    }
}

/// A piece of a search term that pg_trgm turns into one trigram (two at a word's start). Any
/// text containing the term contains every piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The piece as it is in the term: three ASCII letters or digits (`abc`), or a word's edge
    /// with the ASCII character beside it: `ab"` (trigram `ab␣`), `-ab` (`␣␣a`, `␣ab`), or a
    /// one-character word `-a"` (`␣␣a`, `␣a␣`).
    pub text: String,
    /// Its letters or digits, and whether a word starts before them / ends after them.
    core: String,
    starts_word: bool,
    ends_word: bool,
    /// Which word of the term it belongs to (pieces of one word are not independent).
    word: usize,
}

impl Piece {
    /// Whether `text` holds this piece's trigram (what the index would return it for).
    fn in_text(&self, text: &str) -> bool {
        let edge = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
        text.match_indices(self.core.as_str()).any(|(i, core)| {
            (!self.starts_word || edge(text[..i].chars().next_back())) && (!self.ends_word || edge(text[i + core.len()..].chars().next()))
        })
    }
}

/// The pieces of `term` (lower-cased), in the term's order, each once.
pub(crate) fn trigram_pieces(term: &str) -> Vec<Piece> {
    let chars: Vec<char> = term.chars().collect();
    let letter = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let ascii = |i: usize| chars.get(i).is_some_and(char::is_ascii);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut word = 0;
    for i in 0..chars.len() {
        if !letter(i) {
            continue;
        }
        if i > 0 && !letter(i - 1) {
            word += 1;
        }
        let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
        let mut found = Vec::new();
        if letter(i + 1) && ascii(i + 2) {
            let ends_word = !letter(i + 2);
            found.push((text(i, i + 3), text(i, if ends_word { i + 2 } else { i + 3 }), false, ends_word));
        }
        if i > 0 && ascii(i - 1) && !letter(i - 1) && ascii(i + 1) {
            let ends_word = !letter(i + 1);
            found.push((text(i - 1, i + 2), text(i, if ends_word { i + 1 } else { i + 2 }), true, ends_word));
        }
        for (text, core, starts_word, ends_word) in found {
            if !pieces.iter().any(|p| p.text == text) {
                pieces.push(Piece { text, core, starts_word, ends_word, word });
            }
        }
    }
    pieces
}

/// Up to [`MAX_PIECES`] pieces for the index, rarest first: each word's rarest piece, then the
/// rarest of the rest. A piece in every sampled row narrows nothing and is left out (unless
/// nothing else is left). Without a sample: the term's order.
fn choose(pieces: &[Piece], sample: &Sample) -> Vec<String> {
    let n = sample.texts.len();
    let mut ranked: Vec<(usize, usize, &Piece)> =
        pieces.iter().enumerate().map(|(i, p)| (sample.texts.iter().filter(|t| p.in_text(t)).count(), i, p)).collect();
    ranked.sort_by_key(|&(hits, i, _)| (hits, i));
    let mut useful: Vec<(usize, usize, &Piece)> = ranked.iter().copied().filter(|&(hits, _, _)| n == 0 || hits < n).collect();
    if useful.is_empty() {
        useful = ranked.first().copied().into_iter().collect();
    }
    let mut chosen: Vec<(usize, usize, &Piece)> = Vec::new();
    for r in &useful {
        if !chosen.iter().any(|c| c.2.word == r.2.word) {
            chosen.push(*r);
        }
    }
    for r in &useful {
        if !chosen.iter().any(|c| c.1 == r.1) {
            chosen.push(*r);
        }
    }
    chosen.truncate(MAX_PIECES);
    chosen.sort_by_key(|&(hits, i, _)| (hits, i));
    chosen.into_iter().map(|(_, _, p)| p.text.clone()).collect()
}

/// PostgreSQL's sample of `users.search_text` and the table's estimated row count.
#[derive(Default)]
struct Sample {
    rows: f64,
    texts: Vec<String>,
}

static SAMPLE: Mutex<Option<(Instant, Arc<Sample>)>> = Mutex::new(None);

/// The sample, read at most every [`SAMPLE_TTL`] (per process; one for every database the
/// process talks to, which only matters to tests, and only to the order of the pieces).
async fn sample(db: &DatabaseConnection) -> Arc<Sample> {
    let cached =
        SAMPLE.lock().unwrap_or_else(PoisonError::into_inner).as_ref().filter(|(at, _)| at.elapsed() < SAMPLE_TTL).map(|(_, s)| s.clone());
    if let Some(sample) = cached {
        return sample;
    }
    let stmt = Statement::from_string(
        DatabaseBackend::Postgres,
        "SELECT c.reltuples::float8 AS n, s.t FROM pg_class c LEFT JOIN \
         (SELECT unnest(histogram_bounds::text::text[]) AS t FROM pg_stats \
          WHERE schemaname = current_schema() AND tablename = 'users' AND attname = 'search_text') AS s ON true \
         WHERE c.oid = to_regclass('users')",
    );
    let sample = match db.query_all(stmt).await {
        Ok(rows) => Sample {
            rows: rows.first().and_then(|r| r.try_get::<f64>("", "n").ok()).unwrap_or(0.0).max(0.0),
            texts: rows.iter().filter_map(|r| r.try_get::<Option<String>>("", "t").ok().flatten()).collect(),
        },
        Err(error) => {
            tracing::warn!(%error, "no sample of users.search_text: the search's pieces keep the term's order");
            Sample::default()
        }
    };
    let sample = Arc::new(sample);
    *SAMPLE.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), sample.clone()));
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(term: &str) -> Vec<String> {
        trigram_pieces(term).into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn pieces_are_the_terms_trigrams_as_substrings() {
        assert_eq!(texts("user12@ex"), ["use", "ser", "er1", "r12", "12@", "@ex"]);
        assert_eq!(texts("company-1370\""), ["com", "omp", "mpa", "pan", "any", "ny-", "137", "-13", "370", "70\""]);
        // A one-letter word between two edges, and LIKE's wildcards kept as text.
        assert_eq!(texts("a_b%c"), ["_b%"]);
        assert_eq!(texts("grace hopper"), ["gra", "rac", "ace", "ce ", "hop", " ho", "opp", "ppe", "per"]);
        // Nothing the trigram index can use.
        assert!(texts("zq").is_empty() && texts("~").is_empty());
        // Only ASCII letters and digits make pieces (pg_trgm hashes other trigrams).
        assert_eq!(texts("müller"), ["lle", "ler"]);
        assert_eq!(contains_literal("ce _%"), "%ce \\_\\%%");
    }

    #[test]
    fn a_pieces_trigram_is_found_where_pg_trgm_would_find_it() {
        let piece = |term: &str, text: &str| trigram_pieces(term).into_iter().find(|p| p.text == text).unwrap();
        // `on@` is the trigram `on␣`: a word ending in "on", whatever follows.
        assert!(piece("johnson@", "on@").in_text("ada johnson {\"plan\": \"free\"}"));
        assert!(!piece("johnson@", "on@").in_text("person12@example.com"));
        // `-13` is `␣13`: a word starting with 13.
        assert!(piece("company-1370", "-13").in_text("company-13 x"));
        assert!(!piece("company-1370", "-13").in_text("user137@x"));
        assert!(piece("a-1\"", "-1\"").in_text("{\"company\": \"company-1\"}"));
        assert!(!piece("a-1\"", "-1\"").in_text("company-12"));
    }

    #[test]
    fn the_index_gets_each_words_rarest_piece_first() {
        let sample = Sample {
            rows: 1000.0,
            texts: (0..100).map(|i| format!("user{i}@example.com person{i} lovelace{} engineer", if i < 30 { "" } else { "x" })).collect(),
        };
        let chosen = choose(&trigram_pieces("lovelace engineer"), &sample);
        // Everything is in every row except "lovelace " (30 of 100): it goes first; engineer's
        // pieces are in every row, so none is asked for.
        assert_eq!(chosen, ["ce "]);
        let chosen = choose(&trigram_pieces("user42@example"), &sample);
        assert_eq!(chosen[0], "r42");
        assert!(!chosen.contains(&"use".to_string()) && !chosen.contains(&"exa".to_string()));
        assert_eq!(choose(&trigram_pieces("use"), &sample), ["use"], "nothing else is left");
        assert_eq!(choose(&trigram_pieces("abcde"), &Sample::default()), ["abc", "bcd", "cde"], "no sample: the term's order");
    }
}
