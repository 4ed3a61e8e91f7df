//! The staff console: accounts and the audit log (`accounts`, `audit`),
//! and the web pages under `/staff` (`web`).

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod audit;
pub mod dashboard;
pub mod manage;
pub mod report;
pub mod review;
pub mod warnings;
pub mod web;

use crate::app::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(web::home))
        .route("/staff/login", get(web::login_form).post(web::login))
        .route("/staff/logout", post(web::logout))
        .route("/staff/queries", get(web::queries))
        .route("/staff/alerts", get(alerts::page))
        .route("/staff/alerts/handle", post(alerts::handle))
        .route("/staff/transcript", get(web::transcript))
        .route("/staff/export.csv", get(web::export))
        .route("/staff/audit", get(web::audit_page))
        .route("/staff/annotate", post(review::annotate))
        .route("/staff/unanswered", get(review::unanswered))
        .route("/staff/annotations.toml", get(review::export_examples))
        .route("/staff/dashboard", get(dashboard::page))
        .route("/staff/dashboard.csv", get(dashboard::csv))
        .route("/staff/dashboard.json", get(dashboard::json))
        .route("/staff/users", get(admin::users).post(admin::change_user))
        .route("/staff/retention", get(admin::retention).post(admin::purge_now))
        .route("/staff/reload", post(admin::reload))
        .merge(report::routes())
}
