//! The route table. Every route is added through [`Routes`], which builds the
//! axum router and, from the same calls, the list of methods and paths the
//! server answers ([`crate::route_list`]); the authorization matrix test
//! reads that list, so a route cannot be served without being listed.

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

/// One method on one path template, as served (`/api/v1/letters/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteEntry {
    pub method: &'static str,
    pub path: String,
}

/// A router under construction with the list of what it serves.
pub(crate) struct Routes {
    prefix: &'static str,
    router: Router<AppState>,
    list: Vec<RouteEntry>,
}

impl Routes {
    /// Routes whose paths will be served under `prefix` (`""` at the root).
    pub(crate) fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            router: Router::new(),
            list: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.list.push(RouteEntry {
            method,
            path: format!("{}{path}", self.prefix),
        });
        self.router = self.router.route(path, route);
        self
    }

    pub(crate) fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("GET", path, get(h))
    }

    pub(crate) fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        h: H,
    ) -> Self {
        self.add("POST", path, post(h))
    }

    /// A POST that may carry an upload up to [`crate::upload::UPLOAD_BODY_BYTES`].
    pub(crate) fn upload<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        h: H,
    ) -> Self {
        self.add(
            "POST",
            path,
            post(h).layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
    }

    pub(crate) fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("PUT", path, put(h))
    }

    pub(crate) fn patch<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        h: H,
    ) -> Self {
        self.add("PATCH", path, patch(h))
    }

    pub(crate) fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        h: H,
    ) -> Self {
        self.add("DELETE", path, delete(h))
    }

    pub(crate) fn into_parts(self) -> (Router<AppState>, Vec<RouteEntry>) {
        (self.router, self.list)
    }
}
