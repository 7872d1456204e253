//! Shared set-up of the staking tests: a staking config over a network-token stand-in mint, a
//! revenue (stablecoin) mint and its vault, and helpers to stake, fund and claim.

use anchor_lang::prelude::Pubkey;
use harness::builders::staking_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use litesvm::types::TransactionResult;
use spl_token_2022::instruction as token_ix;
use staking::state::{LockupKind, Position, Staker, StakingConfig, VotingMode};

use harness::anchor_spl::token_2022::spl_token_2022;

/// Longest lockup of the test config: 1,000,000 s.
pub const MAX_LOCKUP: u64 = 1_000_000;
/// Multiplier at the longest lockup: 5x. So multiplier_bps = 10,000 + remaining / 25.
pub const MAX_MULT: u32 = 50_000;
pub const COOLDOWN: u64 = 604_800;
/// Revenue weight of one token at 1x (`amount × multiplier_bps`).
pub const W: u128 = 10_000;
pub const MIN_COLLATERAL: u64 = 1_000;
pub const MAX_SLASH_BPS: u16 = 5_000;
pub const APPEAL: u64 = 259_200;
pub const DECIMALS: u8 = 6;
/// The realm of the test config: a minimal realm account over the stake mint written by the
/// fixture (no spl-governance is loaded, so its token owner records never exist); voter-weight
/// records are weighed for this realm.
pub const REALM: Pubkey = Pubkey::new_from_array([7; 32]);

pub struct Fx {
    pub env: TestEnv,
    pub tp: TokenProgram,
    pub mint: Pubkey,
    pub mint_authority: Keypair,
    pub revenue_mint: Pubkey,
    pub revenue_authority: Keypair,
    pub governance: Keypair,
    /// Holds the treasury's stablecoin (owned by the payer); `fund` transfers from it into the
    /// revenue vault.
    pub treasury: Pubkey,
}

/// The test config's arguments, without a realm (`Fx` names [`REALM`]).
pub fn args(governance: Pubkey, mode: VotingMode) -> InitializeStakingArgs {
    InitializeStakingArgs {
        authority: governance,
        max_lockup_secs: MAX_LOCKUP,
        max_multiplier_bps: MAX_MULT,
        voting_mode: mode,
        cooldown_secs: COOLDOWN,
        min_device_collateral: MIN_COLLATERAL,
        max_slash_bps: MAX_SLASH_BPS,
        appeal_secs: APPEAL,
        timelock_secs: 2 * 86_400,
        revenue_stream_secs: 0,
        realm: Pubkey::default(),
    }
}

impl Fx {
    pub fn new(tp: TokenProgram) -> Self {
        Self::with_mode(tp, VotingMode::Linear)
    }

    pub fn with_mode(tp: TokenProgram, mode: VotingMode) -> Self {
        Self::with_args(tp, |a| a.voting_mode = mode)
    }

    /// A fixture whose `initialize_staking` arguments are [`args`] changed by `change`.
    pub fn with_args(tp: TokenProgram, change: impl FnOnce(&mut InitializeStakingArgs)) -> Self {
        // Staking alone: the rewards program's oracle set is written directly where needed.
        Self::with_programs(&[STAKING], tp, change)
    }

    /// As [`Fx::with_args`], with `programs` deployed (staking among them).
    pub fn with_programs(
        programs: &[ProgramSpec],
        tp: TokenProgram,
        change: impl FnOnce(&mut InitializeStakingArgs),
    ) -> Self {
        let mut env = TestEnv::with_programs(programs);
        let mint_authority = Keypair::new();
        let revenue_authority = Keypair::new();
        let governance = env.funded_keypair();
        let mint = create_mint(&mut env, tp, &mint_authority.pubkey(), DECIMALS);
        let revenue_mint = create_mint(&mut env, tp, &revenue_authority.pubkey(), DECIMALS);
        let deployer = env.deployer.insecure_clone();
        let mut init = InitializeStakingArgs {
            realm: REALM,
            ..args(governance.pubkey(), VotingMode::Linear)
        };
        change(&mut init);
        if init.realm == REALM {
            harness::governance::write_realm(&mut env, REALM, mint);
        }
        expect_ok(env.send(
            &[initialize_staking(
                initialize_staking_accounts(&env, tp, mint),
                init,
            )],
            &[&deployer],
        ));
        expect_ok(env.send(
            &[initialize_revenue(initialize_revenue_accounts(
                env.payer.pubkey(),
                deployer.pubkey(),
                revenue_mint,
                tp,
            ))],
            &[&deployer],
        ));
        let treasury_owner = env.payer.pubkey();
        let treasury = create_token_account(&mut env, tp, &revenue_mint, &treasury_owner);
        let mut fx = Self {
            env,
            tp,
            mint,
            mint_authority,
            revenue_mint,
            revenue_authority,
            governance,
            treasury,
        };
        let (rm, ra) = (fx.revenue_mint, fx.revenue_authority.insecure_clone());
        fx.mint_to(rm, &ra, treasury, 1_000_000_000_000);
        fx
    }

    /// `owner`'s token owner record in the config's realm (which `unstake` and `withdraw` read).
    pub fn tor(&self, owner: &Pubkey) -> Pubkey {
        token_owner_record(&self.config().realm, &self.mint, owner)
    }

    /// `unstake` of `amount` from `owner`'s `position`.
    pub fn unstake(&self, owner: Pubkey, position: Pubkey, amount: u64) -> Instruction {
        unstake_ix(owner, position, amount, self.tor(&owner))
    }

    pub fn mint_to(&mut self, mint: Pubkey, authority: &Keypair, to: Pubkey, amount: u64) {
        let ix =
            token_ix::mint_to(&self.tp.id(), &mint, &to, &authority.pubkey(), &[], amount).unwrap();
        expect_ok(self.env.send(&[ix], &[authority]));
    }

    /// A funded key with a network-token account holding `amount`.
    pub fn staker(&mut self, amount: u64) -> (Keypair, Pubkey) {
        let owner = self.env.funded_keypair();
        let account = create_token_account(&mut self.env, self.tp, &self.mint, &owner.pubkey());
        if amount > 0 {
            let (m, a) = (self.mint, self.mint_authority.insecure_clone());
            self.mint_to(m, &a, account, amount);
        }
        (owner, account)
    }

    /// A revenue-mint token account of `owner`.
    pub fn revenue_account(&mut self, owner: &Pubkey) -> Pubkey {
        create_token_account(&mut self.env, self.tp, &self.revenue_mint, owner)
    }

    pub fn stake_ix(
        &self,
        owner: &Pubkey,
        source: Pubkey,
        id: u64,
        kind: LockupKind,
        lockup_secs: u64,
        amount: u64,
    ) -> Instruction {
        stake(
            stake_accounts(*owner, id, self.mint, source, self.tp),
            StakeArgs {
                id,
                kind,
                lockup_secs,
                amount,
            },
        )
    }

    /// Stakes and returns the position's address.
    pub fn stake(
        &mut self,
        owner: &Keypair,
        source: Pubkey,
        id: u64,
        kind: LockupKind,
        lockup_secs: u64,
        amount: u64,
    ) -> Pubkey {
        let ix = self.stake_ix(&owner.pubkey(), source, id, kind, lockup_secs, amount);
        expect_ok(self.env.send(&[ix], &[owner]));
        position_pda(&owner.pubkey(), id).0
    }

    /// The treasury routes `amount` of stablecoin to the stakers: a plain `transfer_checked`
    /// into the revenue vault, as the treasury program does.
    pub fn fund(&mut self, amount: u64) {
        let ix = token_ix::transfer_checked(
            &self.tp.id(),
            &self.treasury,
            &self.revenue_mint,
            &revenue_vault_pda().0,
            &self.env.payer.pubkey(),
            &[],
            amount,
            DECIMALS,
        )
        .unwrap();
        expect_ok(self.env.send_fresh(&[ix], &[]));
    }

    /// `owner` claims its revenue share (over all its positions).
    pub fn claim(&mut self, owner: &Keypair, destination: Pubkey) -> TransactionResult {
        let ix = claim_revenue(claim_revenue_accounts(
            owner.pubkey(),
            self.revenue_mint,
            destination,
            self.tp,
        ));
        self.env.send_fresh(&[ix], &[owner])
    }

    pub fn position(&self, key: &Pubkey) -> Position {
        self.env.anchor_account(key)
    }

    /// `owner`'s `Staker` account (its revenue share and tally).
    pub fn staker_account(&self, owner: &Pubkey) -> Staker {
        self.env.anchor_account(&staker_pda(owner).0)
    }

    pub fn config(&self) -> StakingConfig {
        self.env.anchor_account(&config_pda().0)
    }

    pub fn balance(&self, account: &Pubkey) -> u64 {
        read_token_account(&self.env, account).1.amount
    }

    pub fn supply(&self) -> u64 {
        read_mint(&self.env, &self.mint).1.supply
    }

    /// Moves the clock forward by `secs`.
    pub fn warp(&mut self, secs: u64) {
        let now = self.env.now();
        self.env
            .warp_to_timestamp(now + i64::try_from(secs).unwrap());
    }
}

/// A staking error's custom code.
pub fn code(e: staking::error::StakingError) -> u32 {
    e.into()
}

/// The linear multiplier of the test config for `remaining` seconds of lock.
pub fn mult(remaining: u64) -> u64 {
    10_000 + 40_000 * remaining.min(MAX_LOCKUP) / MAX_LOCKUP
}
