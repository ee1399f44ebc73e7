//! The one hasher of the engine's maps and sets, keyed per process.
//!
//! Every key the engine hashes comes from log lines (user names, client
//! addresses, laptops, servers), and a password spray chooses its names,
//! so the hasher must not let a log's author make keys collide. It also
//! runs several times for every applied event, where SipHash (the
//! standard library's) was the engine's largest single cost.
//!
//! [`KeyHasher`] is foldhash (the speed variant) under a seed drawn once
//! per process from the operating system's randomness (through the
//! standard library's `RandomState`), and a further per-map seed. foldhash
//! claims that no list of inputs collides for every seed; what it does not
//! claim is resistance to an attacker who watches the process hash (its
//! timings or iteration order) and works the seed out. Whoever writes the
//! lines vpnwatch reads cannot watch vpnwatch: the log is written before
//! it is read, on another machine, and nothing vpnwatch does is sent back.
//! foldhash's own global seed mixes addresses and the time; the seed here
//! is the operating system's instead. The maps a spray fills are bounded
//! besides (see the caps beside each map), so even a collision costs time
//! only within a cap.
//!
//! [`identity`] is the same hash, in foldhash's quality variant under a
//! seed of its own drawn once per process, where 64 bits stand for a key
//! (a user counted under `(other N users)`, a headend line compared with
//! its copy): with a fixed seed, a log's author could search out two names
//! with one identity ahead of time and have them counted as one.

use std::hash::{BuildHasher, Hash};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use foldhash::SharedSeed;
use foldhash::fast::{FoldHasher, SeedableRandomState};

/// A map keyed by log text (see the module docs).
pub type HashMap<K, V> = std::collections::HashMap<K, V, KeyHasher>;

/// A set of log text (see the module docs).
pub type HashSet<K> = std::collections::HashSet<K, KeyHasher>;

/// The engine's [`BuildHasher`]: foldhash under the process's random seed.
#[derive(Clone, Debug)]
pub struct KeyHasher(SeedableRandomState);

/// The process's seed, drawn on first use.
fn process_seed() -> &'static SharedSeed {
    static SEED: OnceLock<SharedSeed> = OnceLock::new();
    SEED.get_or_init(|| SharedSeed::from_u64(random_u64()))
}

/// 64 random bits: the standard library keys its `RandomState` from the
/// operating system's randomness, so a hash under a fresh one is random.
fn random_u64() -> u64 {
    std::hash::RandomState::new().hash_one(0x7670_6e77_6174_6368_u64)
}

impl Default for KeyHasher {
    /// A hasher of its own for each map (so one map's order says nothing
    /// of another's), under the process's seed.
    fn default() -> Self {
        static MAPS: AtomicU64 = AtomicU64::new(0);
        let n = MAPS.fetch_add(1, Ordering::Relaxed);
        let per_map = map_seed_base() ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        KeyHasher(SeedableRandomState::with_seed(per_map, process_seed()))
    }
}

/// One random value the per-map seeds are made from, drawn once: making a
/// map (an incident makes a dozen, a user's address set one) costs no
/// SipHash.
fn map_seed_base() -> u64 {
    static BASE: OnceLock<u64> = OnceLock::new();
    *BASE.get_or_init(random_u64)
}

/// A 64-bit identity of `value`, the same for equal values throughout the
/// process (see the module docs).
pub fn identity<T: Hash + ?Sized>(value: &T) -> u64 {
    static IDENTITY: OnceLock<foldhash::quality::SeedableRandomState> = OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            // A draw of its own: with a map's seed, an identity would be a
            // fixed function of that map's hash of the same value.
            foldhash::quality::SeedableRandomState::with_seed(random_u64(), process_seed())
        })
        .hash_one(value)
}

impl BuildHasher for KeyHasher {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hash_alike_within_one_map_and_apart_across_maps() {
        let (a, b) = (KeyHasher::default(), KeyHasher::default());
        let key = "user042";
        assert_eq!(a.hash_one(key), a.clone().hash_one(key));
        assert_ne!(a.hash_one(key), b.hash_one(key), "each map its own seed");
        let mut m: HashMap<String, u32> = HashMap::default();
        for i in 0..1000 {
            m.insert(format!("user{i}"), i);
        }
        assert_eq!(m.get("user999"), Some(&999));
        assert_eq!(m.len(), 1000);
    }

    #[test]
    fn identities_are_stable_and_tell_keys_apart() {
        assert_eq!(identity(&(false, "ann")), identity(&(false, "ann")));
        assert_ne!(identity(&(false, "ann")), identity(&(true, "ann")));
        let ids: HashSet<u64> = (0..100_000).map(|i| identity(&format!("u{i}"))).collect();
        assert_eq!(ids.len(), 100_000);
    }

    #[test]
    fn the_seed_is_not_foldhashs_fixed_one() {
        // A fixed seed would let a log's author precompute collisions.
        let fixed = SeedableRandomState::fixed().hash_one("ann");
        let ours = KeyHasher(SeedableRandomState::with_seed(0, process_seed())).hash_one("ann");
        assert_ne!(fixed, ours);
    }
}
