//! Capturing EPCIS events, following the EPCIS 2.0 capture interface:
//! a document is stored in one transaction; with the default
//! `GS1-Capture-Error-Behaviour: rollback` nothing of a document with a bad
//! event is stored, with `proceed` the good events are. An event already
//! held (same Event Hash ID, or same eventID with the same hash) is a
//! duplicate and is not stored again; an event whose eventID is held with
//! another hash (or given to an earlier event of the same document) is a
//! conflict, rejected as a bad event is.
//!
//! On PostgreSQL captures run concurrently: each takes the capture lock
//! only from numbering its commit to committing ([`commit_in_order`]).
//!
//! The module is split by job: [`capture`](mod@capture) stores a document,
//! finding the events it repeats or conflicts with (`held`) and, on
//! PostgreSQL, those a concurrent capture committed first (`commit`);
//! [`query`](mod@query) finds events, `jobs` lists capture jobs and
//! `summary` sums up what is held.

mod capture;
mod commit;
mod held;
mod jobs;
mod query;
pub mod subscriptions;
mod summary;

pub use capture::{BeforeCommit, MAX_EVENT_BYTES, capture, capture_then, schema_rejections};
pub use jobs::{CaptureJob, capture_job, capture_jobs};
pub use query::{EventQuery, FoundEvent, event_by_id, gln_of, movements_of, query_events};
pub use summary::{Summary, event_count, newest_capture, summary};

/// PostgreSQL advisory lock key a capture holds from taking its commit
/// sequence number to committing ([`commit_in_order`]).
pub const CAPTURE_LOCK: i64 = 0x4571_7569_7461_7302;

/// What to do with a document that has bad events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBehaviour {
    /// Store nothing (the default).
    Rollback,
    /// Store the good events, report the bad ones.
    Proceed,
}

impl ErrorBehaviour {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorBehaviour::Rollback => "rollback",
            ErrorBehaviour::Proceed => "proceed",
        }
    }
}

/// A rejected event: its 0-based index, the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub index: usize,
    pub field: String,
    pub reason: String,
}

/// What a capture did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureReport {
    /// The capture job's id (absent when nothing was written).
    pub capture_id: Option<i64>,
    pub events: usize,
    pub captured: usize,
    pub duplicates: usize,
    /// Bad events, in document order: conflicts among them.
    pub rejected: Vec<Rejected>,
    /// Of `rejected`, the conflicts: events whose eventID is held with
    /// other content or was given to an earlier event of the document.
    pub conflicts: usize,
    /// True if the document was refused whole (rollback with bad events).
    pub rolled_back: bool,
}

impl CaptureReport {
    /// The report of a document refused whole (rollback with bad events):
    /// nothing captured, nothing counted a duplicate.
    fn refused(mut self) -> Self {
        self.captured = 0;
        self.duplicates = 0;
        self.rolled_back = true;
        self
    }
}
