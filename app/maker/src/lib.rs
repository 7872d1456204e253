//! The maker service: holds the maker key and co-signs an owner's onboarding transaction after
//! checking the device's onboarding code, the transaction, the chain and its own records. See
//! `app/maker/README.md` and `docs/onboarding.md`.
//!
//! ```text
//!  settings  TOML + DEPIN_MAKER__ environment (figment), unknown keys refused
//!  store     the used-code store: each code signed for at most once, ever (fsynced)
//!  devices   the devices this maker provisioned (devices.txt): it signs only for those
//!  service   POST /v1/onboard, GET /v1/health: the checks in order, each refusal by name
//! ```

pub mod devices;
pub mod service;
pub mod settings;
pub mod store;
