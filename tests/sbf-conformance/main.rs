//! SBF conformance suite (skeleton).
