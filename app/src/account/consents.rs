//! "Your consents" on `/profile`: each consent the site asks for, the wording in force, what
//! the person last said to it and when — and a way to withdraw an agreement.

use leptos::prelude::*;

use crate::error::AppError;
use domain::profiling::consent::ConsentStatus;

/// The signed-in person's consents.
#[server]
pub(crate) async fn my_consents() -> Result<Vec<ConsentStatus>, AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    Ok(services::profiling::consent_statuses(&state.db, &me.user_id).await?)
}

/// Withdraws the signed-in person's agreement to consent field `field`.
#[server(endpoint = "profile/consent/withdraw")]
pub async fn withdraw_my_consent(field: String) -> Result<(), AppError> {
    use services::profiling::{withdraw_consent, WithdrawError};
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    match withdraw_consent(&state.db, &me.user_id, &field).await {
        Ok(()) => Ok(()),
        Err(WithdrawError::NoSuchConsent(_)) => Err(AppError::NotFound),
        Err(WithdrawError::NotGranted) => Err(AppError::BadRequest("You have not agreed to this, so there is nothing to withdraw.".into())),
        Err(WithdrawError::Profiling(e)) => Err(e.into()),
    }
}

/// The consents and the withdraw action, created by the page above any `<Suspense>`.
#[derive(Clone, Copy)]
pub struct ConsentsData {
    pub withdraw: ServerAction<WithdrawMyConsent>,
    pub list: Resource<Result<Vec<ConsentStatus>, AppError>>,
}

impl ConsentsData {
    /// `changed`: what else on the page can change a consent (saving details, forgetting an
    /// answer).
    pub fn new(changed: impl Fn() -> usize + Send + Sync + 'static) -> Self {
        let withdraw = ServerAction::<WithdrawMyConsent>::new();
        let list = Resource::new(move || (withdraw.version().get(), changed()), |_| my_consents());
        Self { withdraw, list }
    }
}

fn said(status: &ConsentStatus) -> String {
    match &status.latest {
        None => "Not answered yet.".into(),
        Some(r) => {
            let when = r.at.format("%-d %B %Y");
            match (r.granted, r.version < status.version) {
                (true, false) => format!("You agreed on {when}."),
                (true, true) => {
                    format!("You agreed on {when} to an earlier wording (version {}); the wording has changed since.", r.version)
                }
                (false, _) if r.source == "user" => format!("You said no or withdrew on {when}."),
                (false, _) => format!("You said no on {when}."),
            }
        }
    }
}

/// The "Your consents" card (nothing when the site asks for no consent).
#[component]
pub(crate) fn YourConsents(data: ConsentsData) -> impl IntoView {
    let ConsentsData { withdraw, list } = data;
    let error = move || withdraw.value().get().and_then(Result::err).map(|e| e.to_string());
    let done = move || withdraw.value().get().is_some_and(|r| r.is_ok()).then_some("Withdrawn.");
    view! {
        <Suspense fallback=|| ()>
            {move || list.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|statuses| view! {
                <section class="card" aria-labelledby="consents-heading">
                    <h2 id="consents-heading">"Your consents"</h2>
                    <p id="consent-error" class="error" role="alert">{error}</p>
                    <p role="status" class="muted">{done}</p>
                    <ul class="consent-list">
                        {statuses.into_iter().map(|status| {
                            let key = status.field.to_string();
                            let withdraw_label = format!("Withdraw my agreement: {}", status.label);
                            let text = said(&status);
                            let granted = status.granted();
                            view! {
                                <li data-consent=status.field.to_string() data-granted=granted.to_string() data-outdated=status.outdated().to_string()>
                                    <strong>{status.label.clone()}</strong>
                                    <p class="purpose">{status.purpose.clone()} <span class="muted">{format!(" (version {})", status.version)}</span></p>
                                    <p>{text}</p>
                                    {granted.then(|| view! {
                                        <ActionForm action=withdraw attr:class="inline">
                                            <input type="hidden" name="field" value=key />
                                            <button type="submit" class="link-button" aria-describedby="consent-error">{withdraw_label}</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </Suspense>
    }
}
