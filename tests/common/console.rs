//! The staff console in process: requests through the router (no port),
//! answers read back as status, cookies, headers and text. Shared by the
//! console tests (`staff`, `warnings`).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Resp {
    pub status: StatusCode,
    pub cookies: Vec<String>,
    /// The `Location` header ("" when none).
    pub location: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// A router to send requests to; a test's console derefs to it.
pub struct Http(pub Router);

impl Http {
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let r = self.0.clone().oneshot(req).await.expect("response");
        let status = r.status();
        let headers = r.headers().clone();
        let cookies =
            headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap_or("").to_string()).collect();
        let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = String::from_utf8_lossy(&r.into_body().collect().await.expect("body").to_bytes()).into_owned();
        Resp { status, cookies, location, headers, body }
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Resp {
        self.send(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("req")).await
    }

    pub async fn post_form(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Resp {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = Request::post(path)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("req");
        self.send(req).await
    }
}
