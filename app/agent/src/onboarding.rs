//! `depin-agent onboarding-code`: the device signs its onboarding code on the device
//! (`depin_formats::onboarding`, `docs/onboarding.md`) and shows it as text and as a QR code in
//! the terminal.

use depin_formats::keys::Pubkey;
use depin_formats::onboarding::{DeviceKind, Onboarding, OnboardingCode};
use ed25519_dalek::SigningKey;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// The device's code for `owner`, valid until `expires_at`, for the rewards program `program`.
#[must_use]
pub fn code(
    key: &SigningKey,
    owner: Pubkey,
    kind: DeviceKind,
    expires_at: i64,
    program: &Pubkey,
) -> OnboardingCode {
    Onboarding::sign(key, owner, kind, expires_at, program)
}

/// `text` as a QR code in unicode half blocks (two rows per line), with its quiet zone.
///
/// # Errors
///
/// The text is too long for a QR code.
pub fn qr(text: &str) -> Result<String, String> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .build())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use depin_formats::onboarding::REWARDS_PROGRAM_ID;

    #[test]
    fn code_and_qr() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let c = code(
            &key,
            Pubkey([2; 32]),
            DeviceKind::Compute,
            10,
            &REWARDS_PROGRAM_ID,
        );
        let text = c.encode();
        let back = OnboardingCode::decode(&text).unwrap();
        back.verify(&REWARDS_PROGRAM_ID).unwrap();
        assert_eq!(back.onboarding.kind, DeviceKind::Compute);
        let q = qr(&text).unwrap();
        assert!(q.lines().count() > 20);
        assert!(q.contains('▀') || q.contains('▄'));
    }
}
