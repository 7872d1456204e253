//! A governance over the realm, and the life of a proposal: create, add transactions, sign
//! off, vote (with the staking program's voter weight), finalize, relinquish, execute. Each
//! encoder writes what `spl_governance::instruction` would, account for account and byte for
//! byte (the `GovernanceInstruction` Borsh variants named at each function).

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;

use super::{GOVERNANCE_PROGRAM_ID, realm_config_pda, tag};

/// `ProposalState`, the byte at offset 65 of a `ProposalV2` (after the account type, the
/// governance and the governing mint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalState {
    Draft = 0,
    SigningOff = 1,
    Voting = 2,
    Succeeded = 3,
    Executing = 4,
    Completed = 5,
    Cancelled = 6,
    Defeated = 7,
    ExecutingWithErrors = 8,
    Vetoed = 9,
}

impl ProposalState {
    /// The state recorded in a proposal account's `data`.
    pub fn of(data: &[u8]) -> Option<Self> {
        const ALL: [ProposalState; 10] = [
            ProposalState::Draft,
            ProposalState::SigningOff,
            ProposalState::Voting,
            ProposalState::Succeeded,
            ProposalState::Executing,
            ProposalState::Completed,
            ProposalState::Cancelled,
            ProposalState::Defeated,
            ProposalState::ExecutingWithErrors,
            ProposalState::Vetoed,
        ];
        ALL.get(usize::from(*data.get(65)?)).copied()
    }
}

/// The yes and no weights of a single-choice proposal (`ProposalV2`: a 100-byte head, the
/// `SingleChoice` vote type, one option — label, `vote_weight`, result, three counts — then
/// `deny_vote_weight: Option<u64>`).
pub fn single_choice_weights(data: &[u8]) -> Option<(u64, u64)> {
    const OPTIONS_AT: usize = 1 + 32 + 32 + 1 + 32 + 1 + 1 + 1;
    let le_u32 = |at: usize| -> Option<usize> {
        let bytes: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(bytes)).ok()
    };
    let le_u64 = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
    };
    if data.get(OPTIONS_AT - 1) != Some(&0) || le_u32(OPTIONS_AT)? != 1 {
        return None; // not single choice, or not one option
    }
    let label = OPTIONS_AT + 4;
    let weight_at = label + 4 + le_u32(label)?;
    let deny_at = weight_at + 8 + 1 + 2 + 2 + 2;
    let no = match data.get(deny_at)? {
        1 => le_u64(deny_at + 1)?,
        _ => 0,
    };
    Some((le_u64(weight_at)?, no))
}

/// How long a governance's votes stay open, in seconds, from its account's data (`GovernanceV2`:
/// account type, realm, governed account, `reserved1: u32`, then the config: the community
/// threshold — two bytes, or one if disabled —, the minimum weight to propose (`u64`), the
/// minimum hold-up (`u32`), then `voting_base_time: u32`).
pub fn voting_base_time(governance: &[u8]) -> Option<u32> {
    const CONFIG_AT: usize = 1 + 32 + 32 + 4;
    let threshold = if governance.get(CONFIG_AT)? == &2 {
        1
    } else {
        2
    };
    let at = CONFIG_AT + threshold + 8 + 4;
    Some(u32::from_le_bytes(
        governance.get(at..at + 4)?.try_into().ok()?,
    ))
}

/// The voting rules of a governance in a realm without a council (`GovernanceConfig`): the
/// community decides alone, by a share of the maximum voter weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VotingRules {
    /// Percentage (1 to 100) of the maximum voter weight a proposal needs to pass.
    pub yes_vote_percentage: u8,
    /// Voter weight needed to create a proposal.
    pub min_weight_to_create_proposal: u64,
    /// Seconds every transaction of a passed proposal waits at least before it may run.
    pub min_transaction_hold_up_time: u32,
    /// Seconds a vote stays open.
    pub voting_base_time: u32,
    /// When a vote may end before its time is over.
    pub tipping: Tipping,
}

/// `VoteTipping`: when a vote ends before its voting time is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tipping {
    /// As soon as no remaining weight could change the outcome.
    Strict = 0,
    /// As soon as the yes weight reaches the threshold.
    Early = 1,
    /// Never: every vote runs its whole time.
    Disabled = 2,
}

impl VotingRules {
    /// Borsh of the `GovernanceConfig`.
    fn encode(&self, data: &mut Vec<u8>) {
        const YES_VOTE_PERCENTAGE: u8 = 0; // VoteThreshold::YesVotePercentage
        const DISABLED_THRESHOLD: u8 = 2; // VoteThreshold::Disabled
        data.extend_from_slice(&[YES_VOTE_PERCENTAGE, self.yes_vote_percentage]);
        data.extend_from_slice(&self.min_weight_to_create_proposal.to_le_bytes());
        data.extend_from_slice(&self.min_transaction_hold_up_time.to_le_bytes());
        data.extend_from_slice(&self.voting_base_time.to_le_bytes());
        data.push(self.tipping as u8);
        data.push(DISABLED_THRESHOLD); // council_vote_threshold
        data.push(DISABLED_THRESHOLD); // council_veto_vote_threshold
        data.extend_from_slice(&u64::MAX.to_le_bytes()); // min_council_weight_to_create_proposal
        data.push(Tipping::Disabled as u8); // council_vote_tipping
        data.push(DISABLED_THRESHOLD); // community_veto_vote_threshold
        data.extend_from_slice(&0u32.to_le_bytes()); // voting_cool_off_time
        data.push(10); // deposit_exempt_proposal_count (the program's default)
    }
}

fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &GOVERNANCE_PROGRAM_ID).0
}

/// The governance of `governed` in `realm`: `["account-governance", realm, governed]`. It signs
/// the transactions of its passed proposals.
pub fn governance_pda(realm: &Pubkey, governed: &Pubkey) -> Pubkey {
    pda(&[b"account-governance", realm.as_ref(), governed.as_ref()])
}

/// A governance's native treasury, a system account it signs for: `["native-treasury",
/// governance]` (it pays rent in a proposal's transactions).
pub fn native_treasury_pda(governance: &Pubkey) -> Pubkey {
    pda(&[b"native-treasury", governance.as_ref()])
}

/// A proposal: `["governance", governance, mint, seed]`.
pub fn proposal_pda(governance: &Pubkey, mint: &Pubkey, seed: &Pubkey) -> Pubkey {
    pda(&[
        b"governance",
        governance.as_ref(),
        mint.as_ref(),
        seed.as_ref(),
    ])
}

/// The deposit a proposal's payer makes past the exempt count: `["proposal-deposit",
/// proposal, payer]`.
pub fn proposal_deposit_pda(proposal: &Pubkey, payer: &Pubkey) -> Pubkey {
    pda(&[b"proposal-deposit", proposal.as_ref(), payer.as_ref()])
}

/// A voter's vote on a proposal: `["governance", proposal, token_owner_record]`.
pub fn vote_record_pda(proposal: &Pubkey, token_owner_record: &Pubkey) -> Pubkey {
    pda(&[
        b"governance",
        proposal.as_ref(),
        token_owner_record.as_ref(),
    ])
}

/// A proposal's transaction `index` of option `option`: `["governance", proposal, option,
/// index_le]`.
pub fn proposal_transaction_pda(proposal: &Pubkey, option: u8, index: u16) -> Pubkey {
    pda(&[
        b"governance",
        proposal.as_ref(),
        &[option],
        &index.to_le_bytes(),
    ])
}

fn governance_ix(accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
    Instruction {
        program_id: GOVERNANCE_PROGRAM_ID,
        accounts,
        data,
    }
}

/// Borsh of a `String` (and of a `Vec<u8>`): a `u32` length, then the bytes.
fn bytes(data: &mut Vec<u8>, value: &[u8]) {
    let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
    data.extend_from_slice(&len.to_le_bytes());
    data.extend_from_slice(value);
}

/// `CreateGovernance` by the realm's authority: a governance of `governed` (any address that
/// names it) with `rules`. `token_owner_record` is not read on the authority's path.
pub fn create_governance_ix(
    payer: Pubkey,
    realm: Pubkey,
    governed: Pubkey,
    realm_authority: Pubkey,
    token_owner_record: Pubkey,
    rules: &VotingRules,
) -> Instruction {
    let mut data = vec![tag::CREATE_GOVERNANCE];
    rules.encode(&mut data);
    governance_ix(
        vec![
            AccountMeta::new_readonly(realm, false),
            AccountMeta::new(governance_pda(&realm, &governed), false),
            AccountMeta::new_readonly(governed, false),
            AccountMeta::new_readonly(token_owner_record, false),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(realm_authority, true),
            AccountMeta::new_readonly(realm_config_pda(&realm), false),
        ],
        data,
    )
}

/// Who proposes, and with what weight: the owner (signer) of `token_owner_record` and its
/// voter-weight record, refreshed in the same transaction.
#[derive(Clone, Copy, Debug)]
pub struct Voter {
    pub owner: Pubkey,
    pub token_owner_record: Pubkey,
    pub voter_weight_record: Pubkey,
}

/// Where a proposal lives.
#[derive(Clone, Copy, Debug)]
pub struct ProposalKeys {
    pub realm: Pubkey,
    pub governance: Pubkey,
    pub mint: Pubkey,
    pub proposal: Pubkey,
    /// The proposer's token owner record.
    pub owner_record: Pubkey,
}

/// `CreateProposal`: a single-choice proposal ("Approve", with a deny option) by `voter`, at
/// [`proposal_pda`] of `seed`.
pub fn create_proposal_ix(
    payer: Pubkey,
    keys: &ProposalKeys,
    voter: &Voter,
    name: &str,
    description_link: &str,
    seed: Pubkey,
) -> Instruction {
    let mut data = vec![tag::CREATE_PROPOSAL];
    bytes(&mut data, name.as_bytes());
    bytes(&mut data, description_link.as_bytes());
    data.push(0); // VoteType::SingleChoice
    data.extend_from_slice(&1u32.to_le_bytes()); // options: one,
    bytes(&mut data, b"Approve");
    data.push(1); // use_deny_option
    data.extend_from_slice(seed.as_ref());
    governance_ix(
        vec![
            AccountMeta::new_readonly(keys.realm, false),
            AccountMeta::new(keys.proposal, false),
            AccountMeta::new(keys.governance, false),
            AccountMeta::new(voter.token_owner_record, false),
            AccountMeta::new_readonly(keys.mint, false),
            AccountMeta::new_readonly(voter.owner, true),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(realm_config_pda(&keys.realm), false),
            AccountMeta::new_readonly(voter.voter_weight_record, false),
            AccountMeta::new(proposal_deposit_pda(&keys.proposal, &payer), false),
        ],
        data,
    )
}

/// `InsertTransaction`: transaction `index` of the approving option, `instructions` run by the
/// governance (which signs as itself and as its native treasury) `hold_up_time` seconds after
/// the vote ends, at the earliest. `proposer` signs (the proposal owner).
pub fn insert_transaction_ix(
    payer: Pubkey,
    keys: &ProposalKeys,
    proposer: Pubkey,
    index: u16,
    hold_up_time: u32,
    instructions: &[Instruction],
) -> Instruction {
    let mut data = vec![tag::INSERT_TRANSACTION, 0];
    data.extend_from_slice(&index.to_le_bytes());
    data.extend_from_slice(&hold_up_time.to_le_bytes());
    let count = u32::try_from(instructions.len()).unwrap_or(u32::MAX);
    data.extend_from_slice(&count.to_le_bytes());
    for ix in instructions {
        data.extend_from_slice(ix.program_id.as_ref());
        let count = u32::try_from(ix.accounts.len()).unwrap_or(u32::MAX);
        data.extend_from_slice(&count.to_le_bytes());
        for a in &ix.accounts {
            data.extend_from_slice(a.pubkey.as_ref());
            data.extend_from_slice(&[u8::from(a.is_signer), u8::from(a.is_writable)]);
        }
        bytes(&mut data, &ix.data);
    }
    governance_ix(
        vec![
            AccountMeta::new_readonly(keys.governance, false),
            AccountMeta::new(keys.proposal, false),
            AccountMeta::new_readonly(keys.owner_record, false),
            AccountMeta::new_readonly(proposer, true),
            AccountMeta::new(proposal_transaction_pda(&keys.proposal, 0, index), false),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(anchor_lang::solana_program::rent::ID, false),
        ],
        data,
    )
}

/// `SignOffProposal` by its owner (a proposal without signatories): voting starts.
pub fn sign_off_proposal_ix(keys: &ProposalKeys, proposer: Pubkey) -> Instruction {
    governance_ix(
        vec![
            AccountMeta::new_readonly(keys.realm, false),
            AccountMeta::new_readonly(keys.governance, false),
            AccountMeta::new(keys.proposal, false),
            AccountMeta::new_readonly(proposer, true),
            AccountMeta::new_readonly(keys.owner_record, false),
        ],
        vec![tag::SIGN_OFF_PROPOSAL],
    )
}

/// `CastVote` by `voter` (signer): yes (all its weight on "Approve") or no. The voter-weight
/// record must have been refreshed in this slot (`update_voter_weight_record` just before, in
/// the same transaction).
pub fn cast_vote_ix(payer: Pubkey, keys: &ProposalKeys, voter: &Voter, yes: bool) -> Instruction {
    let mut data = vec![tag::CAST_VOTE];
    if yes {
        data.push(0); // Vote::Approve
        data.extend_from_slice(&1u32.to_le_bytes());
        data.extend_from_slice(&[0, 100]); // VoteChoice { rank: 0, weight_percentage: 100 }
    } else {
        data.push(1); // Vote::Deny
    }
    governance_ix(
        vec![
            AccountMeta::new_readonly(keys.realm, false),
            AccountMeta::new(keys.governance, false),
            AccountMeta::new(keys.proposal, false),
            AccountMeta::new(keys.owner_record, false),
            AccountMeta::new(voter.token_owner_record, false),
            AccountMeta::new_readonly(voter.owner, true),
            AccountMeta::new(
                vote_record_pda(&keys.proposal, &voter.token_owner_record),
                false,
            ),
            AccountMeta::new_readonly(keys.mint, false),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(realm_config_pda(&keys.realm), false),
            AccountMeta::new_readonly(voter.voter_weight_record, false),
        ],
        data,
    )
}

/// `FinalizeVote` (anyone) once the voting time is over.
pub fn finalize_vote_ix(keys: &ProposalKeys) -> Instruction {
    governance_ix(
        vec![
            AccountMeta::new_readonly(keys.realm, false),
            AccountMeta::new(keys.governance, false),
            AccountMeta::new(keys.proposal, false),
            AccountMeta::new(keys.owner_record, false),
            AccountMeta::new_readonly(keys.mint, false),
            AccountMeta::new_readonly(realm_config_pda(&keys.realm), false),
        ],
        vec![tag::FINALIZE_VOTE],
    )
}

/// `RelinquishVote` of the owner of `token_owner_record`. While the vote is open the owner
/// (`withdraw_by`: owner and the receiver of the vote record's rent) signs and the vote is
/// taken back; once the vote is finalized anyone may relinquish (`None`).
pub fn relinquish_vote_ix(
    keys: &ProposalKeys,
    token_owner_record: Pubkey,
    withdraw_by: Option<(Pubkey, Pubkey)>,
) -> Instruction {
    let mut accounts = vec![
        AccountMeta::new_readonly(keys.realm, false),
        AccountMeta::new_readonly(keys.governance, false),
        AccountMeta::new(keys.proposal, false),
        AccountMeta::new(token_owner_record, false),
        AccountMeta::new(vote_record_pda(&keys.proposal, &token_owner_record), false),
        AccountMeta::new_readonly(keys.mint, false),
    ];
    if let Some((owner, beneficiary)) = withdraw_by {
        accounts.push(AccountMeta::new_readonly(owner, true));
        accounts.push(AccountMeta::new(beneficiary, false));
    }
    governance_ix(accounts, vec![tag::RELINQUISH_VOTE])
}

/// `ExecuteTransaction` (anyone) of the approving option's transaction `index`, whose one
/// instruction is `ix`: its accounts follow, none signing in the outer transaction (the
/// governance signs for its PDAs).
pub fn execute_transaction_ix(keys: &ProposalKeys, index: u16, ix: &Instruction) -> Instruction {
    let mut accounts = vec![
        AccountMeta::new_readonly(keys.governance, false),
        AccountMeta::new(keys.proposal, false),
        AccountMeta::new(proposal_transaction_pda(&keys.proposal, 0, index), false),
        AccountMeta::new_readonly(ix.program_id, false),
    ];
    accounts.extend(ix.accounts.iter().map(|a| AccountMeta {
        pubkey: a.pubkey,
        is_signer: false,
        is_writable: a.is_writable,
    }));
    governance_ix(accounts, vec![tag::EXECUTE_TRANSACTION])
}
