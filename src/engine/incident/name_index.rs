//! Finding a tracked user's slot from the name (or hidden user's address)
//! an event gives, without allocating: [`NameIndex`], one per kind of key.
//! A lookup runs for nearly every event, so the usual name is compared in
//! the index's own memory rather than in the user's row.

use std::hash::BuildHasher;

use super::users::{UserKey, UserStats};
use crate::engine::hashing;

/// Slots of users by name (or hidden users by address). A short name (the
/// usual user name or address) is kept in its table entry and compared
/// there: the user's own [`UserKey`] is elsewhere in memory (its row, and
/// the name's own allocation), two cache misses on a large incident. A
/// longer name is compared against the user's key, so it is stored once,
/// not twice.
#[derive(Clone, Debug, Default)]
pub(super) struct NameIndex {
    table: hashbrown::HashTable<IndexEntry>,
    hasher: hashing::KeyHasher,
}

/// One [`NameIndex`] entry: the user's slot and, when it fits, the name.
#[derive(Clone, Copy, Debug)]
struct IndexEntry {
    slot: u32,
    short: Option<ShortName>,
}

/// A name of at most [`SHORT_NAME`] bytes, zero-padded, with its length
/// (a name may hold zero bytes: the length tells it apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShortName {
    len: u8,
    bytes: [u8; SHORT_NAME],
}

const SHORT_NAME: usize = 16;

impl ShortName {
    /// `None` when `name` is longer than [`SHORT_NAME`] bytes.
    fn of(name: &str) -> Option<ShortName> {
        let b = name.as_bytes();
        let mut bytes = [0u8; SHORT_NAME];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(ShortName {
            // At most SHORT_NAME (16): fits.
            len: b.len() as u8,
            bytes,
        })
    }

    /// The name again (it was copied from a `&str`).
    fn as_str(&self) -> Option<&str> {
        let b = self.bytes.get(..usize::from(self.len))?;
        std::str::from_utf8(b).ok()
    }
}

/// The name a [`NameIndex`] knows a user by.
type KeyName = fn(&UserKey) -> Option<&str>;

/// A named user's name (the index of named users).
pub(super) fn named_key(k: &UserKey) -> Option<&str> {
    match k {
        UserKey::Named(n) => Some(n),
        _ => None,
    }
}

/// A hidden user's address (the index of hidden users).
pub(super) fn hidden_key(k: &UserKey) -> Option<&str> {
    match k {
        UserKey::Hidden(ip) => Some(ip),
        _ => None,
    }
}

impl NameIndex {
    pub(super) fn len(&self) -> usize {
        self.table.len()
    }

    /// The slot of the user `of` calls `name`.
    pub(super) fn get(
        &self,
        name: &str,
        users: &[(UserKey, UserStats)],
        of: KeyName,
    ) -> Option<usize> {
        let hash = self.hasher.hash_one(name);
        let short = ShortName::of(name);
        self.table
            .find(hash, |e| e.is(name, short, users, of))
            .map(|e| e.slot as usize)
    }

    /// Files slot `slot`, whose key `of` calls `name` (not yet indexed).
    pub(super) fn insert(
        &mut self,
        name: &str,
        slot: usize,
        users: &[(UserKey, UserStats)],
        of: KeyName,
    ) {
        let hasher = &self.hasher;
        // Slots beyond u32 would need 4 billion users: far past any cap.
        let entry = IndexEntry {
            slot: u32::try_from(slot).unwrap_or(u32::MAX),
            short: ShortName::of(name),
        };
        self.table.insert_unique(hasher.hash_one(name), entry, |e| {
            let name = e
                .short
                .as_ref()
                .and_then(ShortName::as_str)
                .or_else(|| key_name(users, e.slot, of));
            hasher.hash_one(name.unwrap_or(""))
        });
    }
}

impl IndexEntry {
    /// Whether this entry is the user called `name` (`short`: the name as
    /// [`ShortName::of`] gives it).
    fn is(
        &self,
        name: &str,
        short: Option<ShortName>,
        users: &[(UserKey, UserStats)],
        of: KeyName,
    ) -> bool {
        match (self.short, short) {
            (Some(known), Some(asked)) => known == asked,
            // One name fits and the other does not: not the same.
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => key_name(users, self.slot, of) == Some(name),
        }
    }
}

/// The name `of` gives the key of the user in `slot`.
fn key_name(users: &[(UserKey, UserStats)], slot: u32, of: KeyName) -> Option<&str> {
    users.get(slot as usize).and_then(|(k, _)| of(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names around the 16-byte edge, names that differ only by a zero
    /// byte, and the empty name.
    fn edge_names() -> Vec<String> {
        vec![
            "a".repeat(15),
            "a".repeat(16),
            "a".repeat(17),
            "a".repeat(18),
            "ab".to_string(),
            "ab\0".to_string(),
            "ab\0\0".to_string(),
            String::new(),
        ]
    }

    #[test]
    fn an_entry_is_exactly_the_name_it_was_filed_under() {
        // Decided on the entry alone, whatever the hash: every pair of
        // names is compared, not only those whose hashes meet.
        let names = edge_names();
        let users: Vec<(UserKey, UserStats)> = names
            .iter()
            .map(|n| (UserKey::Named(n.clone()), UserStats::default()))
            .collect();
        for (slot, filed) in names.iter().enumerate() {
            let entry = IndexEntry {
                slot: slot as u32,
                short: ShortName::of(filed),
            };
            assert_eq!(
                entry.short.is_some(),
                filed.len() <= SHORT_NAME,
                "{filed:?}"
            );
            for asked in &names {
                assert_eq!(
                    entry.is(asked, ShortName::of(asked), &users, named_key),
                    asked == filed,
                    "filed {filed:?}, asked {asked:?}"
                );
            }
            if let Some(short) = entry.short {
                assert_eq!(short.as_str(), Some(filed.as_str()));
            }
        }
    }

    #[test]
    fn the_index_finds_every_name_filed_and_no_other() {
        // Enough names of both kinds to make the table grow, so that
        // entries are re-hashed from their inline names and from the rows.
        let mut names = edge_names();
        names.extend((0..300).map(|i| {
            let stem = if i % 2 == 0 {
                "u"
            } else {
                "a-rather-long-user-name-"
            };
            format!("{stem}{i}")
        }));
        let absent = names.split_off(names.len() - 2);
        let mut users: Vec<(UserKey, UserStats)> = Vec::new();
        let mut index = NameIndex::default();
        for (slot, n) in names.iter().enumerate() {
            users.push((UserKey::Named(n.clone()), UserStats::default()));
            index.insert(n, slot, &users, named_key);
        }
        for (slot, n) in names.iter().enumerate() {
            assert_eq!(index.get(n, &users, named_key), Some(slot), "{n:?}");
        }
        for n in absent
            .iter()
            .chain(["u1".to_string(), "ab\0\0\0".to_string()].iter())
        {
            assert_eq!(index.get(n, &users, named_key), None, "{n:?}");
        }
        assert_eq!(index.len(), names.len());
    }
}
