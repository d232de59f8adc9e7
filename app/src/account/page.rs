//! `/profile`: what the site knows about you and where each value came from, and the
//! accounts you sign in with (link another, unlink any but the last).

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{auth::login_error_message, auth::login_options, error::AppError};
use domain::profile::{RootAttribute, UserProfile};

/// The signed-in person's profile.
#[server]
pub async fn my_profile() -> Result<UserProfile, AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    services::profile::read::load_user_profile(&state.db, &me.user_id)
        .await
        .map_err(|e| crate::error::ssr::internal("loading a profile", e))?
        .ok_or(AppError::Unauthorized)
}

/// The site's questions, so that answers read with their questions' labels and choices'
/// labels rather than keys.
#[server]
pub(crate) async fn my_question_fields() -> Result<Vec<domain::profiling::Field>, AppError> {
    let state = crate::state::AppState::current()?;
    crate::auth::ssr::require_user().await?;
    let config = services::profiling::load_config(&state.db).await.map_err(|e| crate::error::ssr::internal("loading fields", e))?;
    Ok(config.fields)
}

/// Removes a linked account from the signed-in person's profile.
#[server(endpoint = "profile/unlink")]
pub async fn unlink_account(connection: String, subject: String) -> Result<(), AppError> {
    use domain::{activity::Actor, activity::EventKind};
    use services::activity::Event;
    let client = crate::auth::ssr::client().await;
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    services::identity::unlink_identity(&state.db, &me.user_id, &connection, &subject).await?;
    let event = Event::new(EventKind::IdentityUnlinked, Actor::User).connection(connection).client(client);
    services::activity::record(&state.db, &me.user_id, event).await.map_err(|e| crate::error::ssr::internal("recording an unlink", e))?;
    Ok(())
}

/// Clears one of the signed-in person's answers (`user_metadata.<key>`).
#[server(endpoint = "profile/forget")]
pub(crate) async fn forget_my_answer(key: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    services::account::self_service::forget_answer(&state.db, &me.user_id, &key).await?;
    Ok(())
}

/// Erases the signed-in person's account. Needs the explicit confirmation, and the password
/// when the account has one.
#[server(endpoint = "profile/delete")]
pub async fn delete_my_account(confirm: Option<String>, password: Option<String>) -> Result<(), AppError> {
    use crate::error::ssr::internal;
    let state = crate::state::AppState::current()?;
    // Read from the request before the first database await, as every server function should.
    let session = crate::auth::ssr::session().await?;
    let me = crate::auth::ssr::require_user().await?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::BadRequest("Tick the box to confirm that you want your account deleted.".into()));
    }
    crate::auth::ssr::confirm_own_password(&state, &me.user_id, password.unwrap_or_default()).await?;
    services::profile::store::erase_account(&state.db, &me.user_id, services::audit::Actor::User)
        .await
        .map_err(|e| internal("erasing an account", e))?;
    services::auth::session::sign_out(&session).await?;
    leptos_axum::redirect("/?deleted=1");
    Ok(())
}

/// Makes one of the signed-in person's linked accounts the primary one.
#[server(endpoint = "profile/primary")]
pub async fn make_primary_account(connection: String, subject: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    Ok(services::identity::set_primary_identity(&state.db, &me.user_id, &connection, &subject).await?)
}

#[component]
pub(crate) fn ProfilePage() -> impl IntoView {
    let unlink = ServerAction::<UnlinkAccount>::new();
    let make_primary = ServerAction::<MakePrimaryAccount>::new();
    let forget = ServerAction::<ForgetMyAnswer>::new();
    let delete = ServerAction::<DeleteMyAccount>::new();
    let profile = Resource::new(move || (unlink.version().get(), forget.version().get(), make_primary.version().get()), |_| my_profile());
    let delete_error = move || delete.value().get().and_then(Result::err).map(|e| e.to_string());
    let options = Resource::new(|| (), |_| login_options());
    let questions = Resource::new(|| (), |_| my_question_fields());
    // Every card's data starts here, above the Suspense: in parallel, and once per render.
    let details = super::details::DetailsData::new(move || unlink.version().get() + forget.version().get() + make_primary.version().get());
    let consents = super::consents::ConsentsData::new(move || forget.version().get() + details.save.version().get());
    let sessions = super::sessions::SessionsData::new();
    let apps = super::apps::AppsData::new();
    let security = super::security::SecurityData::new();
    let activity = Resource::new(
        move || {
            (
                sessions.end.version().get(),
                security.change_password.version().get(),
                security.change_email.version().get(),
                unlink.version().get(),
            )
        },
        |_| super::activity::my_activity(),
    );
    let query = use_query_map();
    let link_error = move || query.read().get("error").map(|c| login_error_message(&c));
    let unlink_error = move || unlink.value().get().and_then(Result::err).map(|e| e.to_string());

    view! {
        <PageTitle text="Your profile" />
        <h1>"Your profile"</h1>
        {move || link_error().map(|m| view! { <p class="error banner" role="alert">{m}</p> })}
        <Suspense fallback=|| view! { <p>"Loading your profile…"</p> }>
            {move || profile.get().map(|result| match result {
                Err(AppError::Unauthorized) => view! {
                    <p>"Please " <A href="/login?return_to=/profile">"sign in"</A> " to see your profile."</p>
                }.into_any(),
                // Held back until the address is verified (`[email] require_verified`): the
                // way out is here — send the link again, or fix a mistyped address.
                Err(AppError::Refused(message)) => view! {
                    <p class="error banner" role="alert">{message}</p>
                    <super::security::EmailAndPassword data=security />
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(p) => {
                    // Read here, so the page waits for them: answers and accounts in words.
                    let fields = questions.get().and_then(Result::ok).unwrap_or_default();
                    let connections = options.get().and_then(Result::ok).map(|o| o.connections).unwrap_or_default();
                    let linked: Vec<String> = p.identities.iter().map(|i| i.connection.clone()).collect();
                    let can_unlink = p.identities.len() > 1;
                    view! {
                        <section class="card" aria-labelledby="about-heading">
                            <h2 id="about-heading">"About you"</h2>
                            <dl class="profile-values">
                                {RootAttribute::ALL.into_iter().filter(|a| *a != RootAttribute::EmailVerified).map(|attr| {
                                    let value = attribute_value(&p, attr);
                                    let source = p.provenance.get(attr.as_str()).map(|prov| describe_source(&prov.source.to_string(), Some(prov.at)));
                                    view! {
                                        <dt>{attr.label()}</dt>
                                        <dd data-attribute=attr.as_str()>
                                            {value.unwrap_or_else(|| "—".to_string())}
                                            {source.map(|s| view! { <span class="muted source">" · " {s}</span> })}
                                        </dd>
                                    }
                                }).collect_view()}
                            </dl>
                        </section>
                        <super::details::EditDetails data=details />
                        <super::security::EmailAndPassword data=security />
                        <super::consents::YourConsents data=consents />
                        <section class="card" aria-labelledby="answers-heading">
                            <h2 id="answers-heading">"Your answers"</h2>
                            {
                                // Each answer under its question's label; a key no question stores
                                // into (set by the site, imported) under the key itself.
                                let answers: Vec<(String, String, String)> = p.user_metadata.as_object().map(|m| m.iter().map(|(k, v)| {
                                    let field = fields.iter().find(|f| f.target == domain::profiling::Target::UserMetadata(k.clone()));
                                    let label = field.map(|f| f.label.clone()).unwrap_or_else(|| k.clone());
                                    (k.clone(), label, domain::profiling::form_answer::describe_value(field, v))
                                }).collect()).unwrap_or_default();
                                if answers.is_empty() {
                                    view! { <p class="muted">"You have not answered any questions yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <dl class="profile-values">
                                            {answers.into_iter().map(|(key, label, value)| {
                                                let source = p.provenance.get(&format!("user_metadata.{key}")).map(|prov| describe_source(&prov.source.to_string(), Some(prov.at)));
                                                let (hidden_key, forget_label, answer_attr) = (key.clone(), format!("Forget {label}"), key.clone());
                                                view! {
                                                    <dt>{label}</dt>
                                                    <dd data-answer=answer_attr>
                                                        {value}
                                                        {source.map(|s| view! { <span class="muted source">" · " {s}</span> })}
                                                        " "
                                                        <ActionForm action=forget attr:class="inline">
                                                            <input type="hidden" name="key" value=hidden_key />
                                                            <button type="submit" class="link-button">{forget_label}</button>
                                                        </ActionForm>
                                                    </dd>
                                                }
                                            }).collect_view()}
                                        </dl>
                                    }.into_any()
                                }
                            }
                        </section>
                        <section class="card" aria-labelledby="accounts-heading">
                            <h2 id="accounts-heading">"Accounts you sign in with"</h2>
                            <p class="hint">"Your name, email and picture come from your primary account (from its next sign-in); the others only fill in what is missing."</p>
                            <p id="unlink-error" class="error" role="alert">{unlink_error}</p>
                            <ul class="identity-list">
                                {p.identities.into_iter().map(|i| {
                                    let label = domain::identity::connection_label(&i.connection, &connections);
                                    let unlink_label = format!("Unlink {label}");
                                    let primary_label = format!("Make {label} primary");
                                    let (connection, subject) = (i.connection.clone(), i.user_id.clone());
                                    let (primary_connection, primary_subject) = (connection.clone(), subject.clone());
                                    let is_primary = i.primary;
                                    view! {
                                        <li data-connection=i.connection data-primary=is_primary.to_string()>
                                            <span>{label}</span>
                                            {if is_primary {
                                                view! {
                                                    <span class="badge" title="Your name, email and picture come from this account">" · primary"</span>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <ActionForm action=make_primary attr:class="inline">
                                                        <input type="hidden" name="connection" value=primary_connection />
                                                        <input type="hidden" name="subject" value=primary_subject />
                                                        <button type="submit" class="link-button">{primary_label}</button>
                                                    </ActionForm>
                                                }.into_any()
                                            }}
                                            <ActionForm action=unlink attr:class="inline">
                                                <input type="hidden" name="connection" value=connection />
                                                <input type="hidden" name="subject" value=subject />
                                                <button type="submit" class="link-button" disabled=!can_unlink
                                                    aria-describedby="unlink-error"
                                                    title=if can_unlink { "" } else { "Your only way to sign in cannot be removed" }>
                                                    {unlink_label}
                                                </button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <Suspense fallback=|| ()>
                                {move || {
                                    let linked = linked.clone();
                                    options.get().and_then(Result::ok).map(|o| {
                                        o.connections.into_iter().filter(|c| !linked.contains(&c.name)).map(|c| view! {
                                            // A POST: linking changes the account, so it is protected like
                                            // every other state change.
                                            <form method="post" action=format!("/auth/{}/start", c.name) class="inline link-form">
                                                <input type="hidden" name="link" value="1" />
                                                <input type="hidden" name="return_to" value="/profile" />
                                                <button type="submit">{format!("Link {}", c.display_name)}</button>
                                            </form>
                                        }).collect_view()
                                    })
                                }}
                            </Suspense>
                        </section>
                        <super::sessions::SignedInSessions data=sessions />
                        <super::apps::SignedInApps data=apps />
                        <super::activity::RecentActivity entries=activity />
                        <section class="card" aria-labelledby="data-heading">
                            <h2 id="data-heading">"Your data"</h2>
                            <p><a href="/api/me/export" rel="external" download="askonce-my-data.json">"Download my data"</a>
                                " — your profile, where each value came from, the questions you were asked and your consents, as one JSON file."</p>
                            <h3>"Delete my account"</h3>
                            <p>"This removes your profile, linked accounts, answers and history. It cannot be undone."</p>
                            <ActionForm action=delete attr:class="stack">
                                <label><input type="checkbox" name="confirm" value="yes" aria-describedby="delete-error" />" Yes, delete my account"</label>
                                <label for="delete-password">"Your password (if your account has one)"</label>
                                <input id="delete-password" type="password" name="password" autocomplete="current-password" aria-describedby="delete-error" />
                                <p id="delete-error" class="error" role="alert">{delete_error}</p>
                                <button type="submit" class="danger">"Delete my account"</button>
                            </ActionForm>
                        </section>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

fn attribute_value(p: &UserProfile, attr: RootAttribute) -> Option<String> {
    let text = p.root_text(attr)?;
    Some(if attr == RootAttribute::Email && p.email_verified { format!("{text} (verified)") } else { text })
}

/// "from google on 2026-11-20", "you told us on 2026-11-20", "set by the site on …".
/// Dates, not "3 days ago": the text must render the same on the server and in the browser.
pub(crate) fn describe_source(source: &str, at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let on = at.map(|t| format!(" on {}", t.format("%Y-%m-%d"))).unwrap_or_default();
    match source.parse::<domain::profile::Source>() {
        Ok(domain::profile::Source::Claim { connection, .. }) => format!("from {connection}{on}"),
        Ok(domain::profile::Source::User | domain::profile::Source::Form { .. }) => format!("you told us{on}"),
        Ok(domain::profile::Source::Admin | domain::profile::Source::Api | domain::profile::Source::Hook { .. }) => {
            format!("set by the site{on}")
        }
        Ok(domain::profile::Source::App { client }) => format!("you told us in {client}{on}"),
        Ok(domain::profile::Source::Import) => format!("imported{on}"),
        Ok(domain::profile::Source::Link) => format!("verified by link{on}"),
        Ok(domain::profile::Source::Context { from }) => match from.as_str() {
            "connection" => format!("from how you signed in{on}"),
            "tags" => format!("from what you were reading{on}"),
            _ => format!("from the link you came by{on}"),
        },
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_source;

    #[test]
    fn sources_read_as_words_with_their_date() {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).single();
        assert_eq!(describe_source("claim:google:given_name", at), "from google on 2026-11-20");
        assert_eq!(describe_source("user", at), "you told us on 2026-11-20");
        assert_eq!(describe_source("admin", None), "set by the site");
    }
}
