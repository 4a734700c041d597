//! Access tokens (JWT, HS256 pinned, 15 minutes) and opaque refresh tokens.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Secret;
use crate::domain::Role;
use crate::error::AppError;

pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
pub const REFRESH_TOKEN_DAYS: i64 = 30;
const ISSUER: &str = "precursor-registry";
const AUDIENCE: &str = "precursor-registry-api";

/// Who is calling, as proven by a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: Role,
    /// Set exactly for enterprise users: the one firm they act for.
    pub firm_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firm_id: Option<String>,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    /// The user's token generation when issued: a token of an older one is refused.
    #[serde(default)]
    gen: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> Result<TokenKeys, String> {
        if secret.expose().len() < 32 {
            return Err("the JWT secret must be at least 32 characters".into());
        }
        let bytes = secret.expose().as_bytes();
        let encoding = EncodingKey::from_secret(bytes).map_err(|e| e.to_string())?;
        let decoding = DecodingKey::from_secret(bytes).map_err(|e| e.to_string())?;
        // Only HS256 is accepted: a token claiming another algorithm (or "none") is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(TokenKeys {
            encoding,
            decoding,
            validation,
        })
    }

    /// An access token of `principal` in its user's token `generation`.
    pub fn issue_access(&self, principal: &Principal, generation: i64) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: principal.user_id.to_string(),
            role: principal.role,
            firm_id: principal.firm_id.map(|f| f.to_string()),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            gen: generation,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("token signing failed: {e}")))
    }

    /// The caller a token proves, by its signature and claims alone (whether its generation is
    /// still the user's is `auth::Generations`'s to say).
    pub fn verify_access(&self, token: &str) -> Result<Principal, AppError> {
        self.verify(token).map(|(principal, _)| principal)
    }

    /// The caller and the token generation a token names.
    pub fn verify(&self, token: &str) -> Result<(Principal, i64), AppError> {
        let invalid =
            || AppError::unauthenticated("invalid_token", "the access token is invalid or expired");
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| invalid())?;
        let claims = data.claims;
        let user_id = Uuid::parse_str(&claims.sub).map_err(|_| invalid())?;
        let firm_id = match claims.firm_id {
            Some(f) => Some(Uuid::parse_str(&f).map_err(|_| invalid())?),
            None => None,
        };
        if (claims.role == Role::Enterprise) != firm_id.is_some() {
            return Err(invalid());
        }
        let principal = Principal {
            user_id,
            role: claims.role,
            firm_id,
        };
        Ok((principal, claims.gen))
    }
}

/// A new refresh token: 256 random bits, hex. Only its SHA-256 is stored.
pub fn new_refresh_token() -> Result<String, AppError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

pub fn refresh_token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut buf = [0_u8; N];
    getrandom::fill(&mut buf).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&Secret::new(secret)).unwrap()
    }

    #[test]
    fn access_tokens_round_trip_and_are_bound_to_their_key() {
        let a = keys("a-secret-that-is-long-enough-for-hs256!");
        let b = keys("another-secret-that-is-long-enough-too!");
        let who = Principal {
            user_id: Uuid::now_v7(),
            role: Role::Enterprise,
            firm_id: Some(Uuid::now_v7()),
        };
        let token = a.issue_access(&who, 7).unwrap();
        assert_eq!(a.verify(&token).unwrap(), (who, 7));
        assert!(b.verify_access(&token).is_err());
        assert!(a.verify_access("not.a.token").is_err());
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        let a = keys("a-secret-that-is-long-enough-for-hs256!");
        // header {"alg":"none","typ":"JWT"}, any payload, empty signature
        let forged = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.";
        assert!(a.verify_access(forged).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(&Secret::new("short")).is_err());
    }
}
