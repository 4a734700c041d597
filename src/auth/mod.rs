//! Who is calling (tokens, passwords, the `AuthUser` extractor) and what they may do (policy).
//! Signing in is the `sessions` slice, above this floor.

pub mod generations;
pub mod password;
pub mod policy;
pub mod store;
pub mod token;

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::db::Db;
use crate::error::AppError;
pub use generations::Generations;
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
    type Future = Pin<Box<dyn Future<Output = Result<AuthUser, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let verified = authenticate(req);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let generations = req.app_data::<web::Data<Generations>>().cloned();
        Box::pin(async move {
            let (principal, generation) = verified?;
            // A token whose user signed out, was disabled or got a new password ends here.
            match (db, generations) {
                (Some(db), Some(generations)) => {
                    generations
                        .check(&db, principal.user_id, generation)
                        .await?
                }
                _ => {
                    return Err(AppError::internal(
                        "the token generations are not registered",
                    ))
                }
            }
            Ok(AuthUser(principal))
        })
    }
}

/// The caller and token generation of a request's valid bearer token (signature and claims).
fn authenticate(req: &HttpRequest) -> Result<(Principal, i64), AppError> {
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
    tokens.verify(token.trim())
}
