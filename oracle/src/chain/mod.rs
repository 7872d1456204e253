//! The oracle's writes to the chain: [`submit`] puts each published epoch's root on-chain
//! through the rewards program (crank, bond, write-ahead vote intent, `vote_root`,
//! `finalize_root` after the dispute window), over JSON-RPC with failover. (The registry sync,
//! which only reads the chain, is `registry::sync`.)

pub mod submit;
