//! What can go wrong with an operation, by kind: the server maps each kind
//! once to a problem detail, the CLI once to an exit status.

use equitas_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A parameter's value is not valid; `param` is its name as the caller
    /// wrote it (`lead_time` for the API, `--lead-time` for the CLI).
    #[error("{param}: {reason}")]
    BadParameter { param: String, reason: String },
    /// What a parameter names does not exist (a location code).
    #[error("{param} {reason}")]
    Unknown { param: String, reason: String },
    /// The request is valid but the data it needs is not loaded.
    #[error("{0}")]
    MissingData(String),
    /// A valid value of a parameter that the data do not cover (an as-of
    /// month after the last complete month, or before the first month with
    /// data); `param` as in `BadParameter`.
    #[error("{param}: {reason}")]
    OutsideData { param: String, reason: String },
    /// The store failed (or was busy past the write wait: `StoreError::Busy`).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller's scope does not reach what was asked (its reason).
    #[error("{0}")]
    OutOfScope(String),
    /// A fault of Equitas itself, never of the request.
    #[error("{0}")]
    Internal(String),
}

/// The kinds, for mapping without matching on the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadInput,
    NotFound,
    MissingData,
    OutOfScope,
    Busy,
    Store,
    Internal,
}

impl ServiceError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ServiceError::BadParameter { .. } => ErrorKind::BadInput,
            ServiceError::Unknown { .. } => ErrorKind::NotFound,
            ServiceError::MissingData(_) | ServiceError::OutsideData { .. } => {
                ErrorKind::MissingData
            }
            ServiceError::OutOfScope(_) => ErrorKind::OutOfScope,
            ServiceError::Store(StoreError::Busy { .. }) => ErrorKind::Busy,
            ServiceError::Store(_) => ErrorKind::Store,
            ServiceError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The parameter at fault, if there is one.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            ServiceError::BadParameter { param, .. }
            | ServiceError::Unknown { param, .. }
            | ServiceError::OutsideData { param, .. } => Some(param),
            _ => None,
        }
    }

    /// [`ServiceError::parameter`], to rename it.
    pub fn parameter_mut(&mut self) -> Option<&mut String> {
        match self {
            ServiceError::BadParameter { param, .. }
            | ServiceError::Unknown { param, .. }
            | ServiceError::OutsideData { param, .. } => Some(param),
            _ => None,
        }
    }

    pub fn missing(what: impl Into<String>) -> Self {
        ServiceError::MissingData(what.into())
    }
}
