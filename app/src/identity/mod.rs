//! Identity providers ("connections") and how their claims become profile attributes.

pub mod normalize;

pub use normalize::{normalize, NormalizedAttributes, ProviderKind};
