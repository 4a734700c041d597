//! Who is calling (tokens, passwords, the `AuthUser` extractor) and what they may do (policy).
//! Signing in is the `sessions` slice, above this floor.

pub mod password;
pub mod policy;
pub mod store;
pub mod token;

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::error::AppError;
pub use token::Principal;
use token::TokenKeys;

/// The signed-in caller. Extracting it from a request without a valid bearer token answers 401.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

impl std::ops::Deref for AuthUser {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Ready<Result<AuthUser, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
    let tokens = req
        .app_data::<web::Data<TokenKeys>>()
        .ok_or_else(|| AppError::internal("token keys not registered"))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::unauthenticated(
            "unauthenticated",
            "sign in and send `Authorization: Bearer <token>`",
        )
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            AppError::unauthenticated(
                "unauthenticated",
                "the Authorization header must be `Bearer <token>`",
            )
        })?;
    tokens.verify_access(token.trim()).map(AuthUser)
}
