//! Finding the events a batch repeats (duplicates) or conflicts with.

use super::capture::Job;
use crate::partitions::KEYS;
use crate::repo::placeholders;
use crate::{Conn, StoreError, Value};
use equitas_epcis::event::EventRecord;
use std::collections::hash_map::Entry;
// foldhash: the keys are event hashes, eventIDs, ids and digests by the
// hundred thousand, which SipHash (std's default) hashed at about 1.4% of
// a capture's instructions.
use foldhash::fast::RandomState;
use foldhash::{HashMap, HashMapExt, HashSet};
use std::hash::BuildHasher;

/// A short key by which held events are found (schema version 6: the
/// indexes `epcis_events_hash` and `epcis_events_event_id`); in a
/// database partitioned by month, the whole hash or eventID in the keys'
/// table ([`KEYS`], its unique indexes).
#[derive(Debug, Clone, Copy)]
pub(super) enum Key {
    /// The first 16 hex digits of an Event Hash ID
    /// (`ni:///sha-256;<hex>?ver=CBV2.0`): 64 bits of the SHA-256.
    Hash,
    /// The last 16 characters of an eventID (all of a shorter one).
    EventId,
}

impl Key {
    /// The column the key is taken from.
    pub(super) fn column(self) -> &'static str {
        match self {
            Key::Hash => "hash",
            Key::EventId => "event_id",
        }
    }

    /// The key of the SQL expression `of`, written as the index is.
    pub(super) fn of(self, of: &str) -> String {
        match self {
            Key::Hash => format!("substr({of}, 15, 16)"),
            Key::EventId => format!("substr({of}, length({of}) - 15)"),
        }
    }

    /// The key of parameter `$i`. SQL computes the keys of the values
    /// looked up too, so that they match the index exactly (eventIDs'
    /// characters counted as the database counts them, whatever its
    /// encoding).
    pub(super) fn of_param(self, i: usize) -> String {
        self.of(&format!("CAST(${i} AS TEXT)"))
    }

    /// The [`held_columns`] of the held events whose key is that of one
    /// of `$1` ... `$n`; `keyed`, from the keys' table.
    pub(super) fn lookup(self, n: usize, keyed: bool) -> String {
        if keyed {
            return format!(
                "SELECT {} FROM {KEYS} WHERE {} IN ({})",
                held_columns(true),
                self.column(),
                placeholders(1, n)
            );
        }
        let keys: Vec<String> = (1..=n).map(|i| self.of_param(i)).collect();
        format!(
            "SELECT {} FROM epcis_events WHERE {} IN ({})",
            held_columns(false),
            self.of(self.column()),
            keys.join(", ")
        )
    }

    /// Notes in `held` the events held whose hash or eventID (as `self`)
    /// has the key of one of `values`; [`Held`] compares them whole.
    pub(super) fn held(
        self,
        c: &mut dyn Conn,
        values: &[&str],
        job: &Job,
        held: &mut Held,
    ) -> Result<(), StoreError> {
        if values.is_empty() {
            return Ok(());
        }
        let p: Vec<Value> = values.iter().map(|&v| v.into()).collect();
        c.query_each(&self.lookup(values.len(), job.keyed), &p, &mut |r| {
            held.note(r, job)
        })
    }
}

/// The columns of a held event that tell duplicates from conflicts, as
/// [`Held::note`] reads them: of the events' table or, `keyed`, of the
/// keys' table ([`KEYS`]).
pub(super) fn held_columns(keyed: bool) -> &'static str {
    if keyed {
        "event, hash, event_id, capture"
    } else {
        "id, hash, event_id, capture"
    }
}

/// What an eventID is held with: the hash of the event that has it and,
/// for an event stored earlier by the same capture, its index in the
/// document.
#[derive(Clone)]
pub(super) struct Holder {
    pub(super) hash: String,
    pub(super) index: Option<usize>,
    /// The capture job that stored it.
    pub(super) capture: i64,
}

/// Why an event (with eventID `id` and Event Hash ID `hash`) is rejected
/// as a conflict with `with`, which holds that eventID with `held_hash`.
pub(super) fn conflict_reason(id: &str, with: &str, held_hash: &str, hash: &str) -> String {
    format!(
        "conflict: the eventID {id} is that of {with} with other content \
         (Event Hash ID {held_hash} there, {hash} here); not stored"
    )
}

/// The events a batch's events may repeat or conflict with: those held
/// that share a hash or an eventID with one of them, then those of the
/// batch as they are stored.
#[derive(Default)]
pub(super) struct Held {
    pub(super) hashes: HashSet<String>,
    pub(super) ids: HashMap<String, Holder>,
}

impl Held {
    /// Notes a row of the [`held_columns`].
    pub(super) fn note(&mut self, r: &mut [Value], job: &Job) -> Result<(), StoreError> {
        let (id, hash, capture): (i64, String, i64) = (r[0].get()?, r[1].take_text()?, r[3].get()?);
        if let Some(event_id) = r[2].take_opt_text()? {
            let index = (capture == job.id).then(|| job.index_of(id)).flatten();
            self.ids.insert(
                event_id,
                Holder {
                    hash: hash.clone(),
                    index,
                    capture,
                },
            );
        }
        self.hashes.insert(hash);
        Ok(())
    }

    /// Notes an event of the batch (at `index` in the document) about to
    /// be stored by capture job `capture`.
    pub(super) fn stored(&mut self, r: &EventRecord, index: usize, capture: i64) {
        self.hashes.insert(r.hash.clone());
        if let Some(id) = &r.event_id {
            self.ids.insert(
                id.clone(),
                Holder {
                    hash: r.hash.clone(),
                    index: Some(index),
                    capture,
                },
            );
        }
    }

    /// Why `r` conflicts with what is held (its eventID held with another
    /// hash), if it does.
    pub(super) fn conflict(&self, r: &EventRecord) -> Option<String> {
        let id = r.event_id.as_ref()?;
        let h = self.ids.get(id).filter(|h| h.hash != r.hash)?;
        let with = match h.index {
            Some(i) => format!("event {i} of this document"),
            None => format!("an event held in the store (capture job {})", h.capture),
        };
        Some(conflict_reason(id, &with, &h.hash, &r.hash))
    }

    /// True if `r` is held: its hash, or its eventID with the same hash.
    pub(super) fn holds(&self, r: &EventRecord) -> bool {
        self.hashes.contains(&r.hash)
            || r.event_id
                .as_ref()
                .is_some_and(|id| self.ids.contains_key(id))
    }
}

/// The events a capture into a store that held none has stored: the id
/// of each by a 64-bit digest of its hash and of its eventID. Only these
/// can be duplicates, and they are found by id: an initial load does not
/// search the indexes once per event (a tenth of the time of a
/// million-event capture), nor need the indexes of hashes and eventIDs,
/// which a bulk load then builds at its end ([`defer_indexes`];
/// docs/benchmarks.md).
pub(super) struct Stored<S = RandomState> {
    digest: S,
    /// The first event stored under each digest.
    ids: HashMap<u64, i64>,
    /// Further events under a digest taken by another: distinct values
    /// whose digests are equal (among a million values, any two do with
    /// a chance of about one in 37 million).
    more: HashMap<u64, Vec<i64>>,
}

impl Stored {
    pub(super) fn new() -> Self {
        Stored::with_digest(RandomState::default())
    }
}

impl<S: BuildHasher> Stored<S> {
    pub(super) fn with_digest(digest: S) -> Self {
        Stored {
            digest,
            ids: HashMap::new(),
            more: HashMap::new(),
        }
    }

    /// Notes that event `id` has the hash or eventID `value`.
    pub(super) fn insert(&mut self, value: &str, id: i64) {
        let d = self.digest.hash_one(value);
        match self.ids.entry(d) {
            Entry::Vacant(v) => {
                v.insert(id);
            }
            Entry::Occupied(o) if *o.get() == id => {}
            Entry::Occupied(_) => {
                let more = self.more.entry(d).or_default();
                if !more.contains(&id) {
                    more.push(id);
                }
            }
        }
    }

    /// The ids of the stored events that may have the hash or eventID
    /// `value`.
    pub(super) fn candidates(&self, value: &str) -> impl Iterator<Item = i64> + '_ {
        let d = self.digest.hash_one(value);
        let more = self.more.get(&d).map_or(&[][..], Vec::as_slice);
        self.ids.get(&d).into_iter().chain(more).copied()
    }
}

/// Notes in `held` the events held with the ids `ids`.
pub(super) fn held_by_id(
    c: &mut dyn Conn,
    ids: &[i64],
    job: &Job,
    held: &mut Held,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let p: Vec<Value> = ids.iter().map(|&id| Value::Int(id)).collect();
    c.query_each(
        &format!(
            "SELECT {} FROM {} WHERE {} IN ({})",
            held_columns(job.keyed),
            if job.keyed { KEYS } else { "epcis_events" },
            if job.keyed { "event" } else { "id" },
            placeholders(1, p.len())
        ),
        &p,
        &mut |r| held.note(r, job),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events stored under equal digests are all candidates for each of
    /// their values; an event noted twice is one candidate.
    #[test]
    fn stored_events_with_equal_digests() {
        #[derive(Default)]
        struct Same;
        impl std::hash::Hasher for Same {
            fn finish(&self) -> u64 {
                7
            }
            fn write(&mut self, _: &[u8]) {}
        }
        let mut s = Stored::with_digest(std::hash::BuildHasherDefault::<Same>::default());
        s.insert("hash a", 1);
        s.insert("id a", 1);
        s.insert("hash b", 2);
        s.insert("hash b", 2);
        s.insert("hash c", 3);
        assert_eq!(s.candidates("anything").collect::<Vec<_>>(), [1, 2, 3]);
        let mut s = Stored::new();
        s.insert("hash a", 1);
        s.insert("id a", 1);
        s.insert("hash b", 2);
        assert_eq!(s.candidates("hash a").collect::<Vec<_>>(), [1]);
        assert_eq!(s.candidates("id a").collect::<Vec<_>>(), [1]);
        assert_eq!(s.candidates("hash b").collect::<Vec<_>>(), [2]);
        assert_eq!(s.candidates("hash c").count(), 0);
    }
}
