//! A read-only view of the rewards program's `OracleSet` account, parsed from its bytes so that
//! staking does not link the rewards crate. The program tests check this layout against
//! `rewards::state::OracleSet` (discriminator, offsets and the rewards program id).

/// `sha256("account:OracleSet")[..8]`: the rewards program's Anchor discriminator.
pub const ORACLE_SET_DISCRIMINATOR: [u8; 8] = [128, 26, 73, 134, 218, 90, 126, 42];
/// Most seats in a set (rewards `MAX_ORACLES`).
pub const MAX_ORACLE_SEATS: usize = 16;

const THRESHOLD_AT: usize = 10;
const COUNT_AT: usize = 11;
const SET_VERSION_AT: usize = 12;
const SLASHED_AT: usize = 34;
const SEATS_AT: usize = 36;
/// A seat: key (32) and last_vote (u64).
const SEAT_LEN: usize = 40;

/// The fields of the oracle set that a slash approval needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OracleSetView {
    /// Signatures needed.
    pub threshold: u8,
    /// Bumped by every rotation; part of the signed message.
    pub set_version: u32,
    /// The members' keys (`count` of them), in seat order.
    pub keys: Vec<[u8; 32]>,
    /// Seats slashed by a fraud proof under this version (bit `i` = seat `i`): they do not count.
    pub slashed: u16,
}

impl OracleSetView {
    /// Parses the account data; `None` if it is not an `OracleSet` (discriminator, length, a
    /// count of 1 to 16 or a threshold of 1 to count).
    pub fn parse(data: &[u8]) -> Option<Self> {
        if data.len() < SEATS_AT + SEAT_LEN * MAX_ORACLE_SEATS
            || data[..8] != ORACLE_SET_DISCRIMINATOR
        {
            return None;
        }
        let threshold = data[THRESHOLD_AT];
        let count = usize::from(data[COUNT_AT]);
        if !(1..=MAX_ORACLE_SEATS).contains(&count)
            || threshold == 0
            || usize::from(threshold) > count
        {
            return None;
        }
        let mut v = [0u8; 4];
        v.copy_from_slice(&data[SET_VERSION_AT..SET_VERSION_AT + 4]);
        let slashed = u16::from_le_bytes([data[SLASHED_AT], data[SLASHED_AT + 1]]);
        let keys = (0..count)
            .map(|i| {
                let at = SEATS_AT + SEAT_LEN * i;
                let mut k = [0u8; 32];
                k.copy_from_slice(&data[at..at + 32]);
                k
            })
            .collect();
        Some(Self {
            threshold,
            set_version: u32::from_le_bytes(v),
            keys,
            slashed,
        })
    }

    /// The seats of `mask` that are members not slashed under this version.
    pub fn voting(&self, mask: u16) -> u16 {
        let members = u16::try_from((1u32 << self.keys.len()) - 1).unwrap_or(u16::MAX);
        mask & members & !self.slashed
    }

    /// The keys of the seats in `mask`, in seat order.
    pub fn keys_of(&self, mask: u16) -> Vec<[u8; 32]> {
        self.keys
            .iter()
            .enumerate()
            .filter(|(seat, _)| mask & (1u16 << seat) != 0)
            .map(|(_, key)| *key)
            .collect()
    }

    /// The seat of `key` if it is a member that was not slashed under this version.
    pub fn voting_seat(&self, key: &[u8; 32]) -> Option<usize> {
        self.keys
            .iter()
            .position(|k| k == key)
            .filter(|seat| self.slashed & (1u16 << seat) == 0)
    }
}
