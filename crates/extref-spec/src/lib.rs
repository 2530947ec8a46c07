//! Makes a contract's storage types visible to `extref check-upgrade`.
//!
//! The upgrade check compares the types of two contract specs (the Wasm's
//! `contractspecv0` section). soroban-sdk 27 writes a `#[contracttype]` into the
//! spec only when it is `pub`, and most contracts keep their storage keys private
//! (`enum DataKey { … }`): such a type is invisible to the check, so a change to it
//! (a case renamed, a payload changed) passes as safe, and followers' data stops
//! decoding. When the renamed case holds the admin who alone may upgrade, the
//! contract can never be upgraded again.
//!
//! Two steps close the gap:
//!
//! 1. Export each private storage type into the spec with soroban-sdk's own
//!    `#[contracttype(export = true)]` (nothing else changes: the type stays private
//!    in Rust, its values are encoded exactly as before).
//! 2. Declare the contract's storage types once with [`storage_types!`]:
//!
//! ```ignore
//! #[contracttype(export = true)]
//! #[derive(Clone)]
//! enum DataKey { Admin, Balance(Address) }
//!
//! #[contracttype]
//! #[derive(Clone)]
//! pub struct Config { pub limit: i128 }
//!
//! extref_spec::storage_types!(DataKey, Config);
//! ```
//!
//! (`extref_sdk::storage_types!` is the same macro, for contracts on the fork's env;
//! a stock soroban-sdk contract, a follower, depends on this crate alone.)
//!
//! The declaration fails to compile if a listed type is not in the spec (step 1
//! forgotten: "no function or associated item named `spec_xdr` found for enum
//! `DataKey`"), and writes the names into the Wasm's `extrefstoragev0` custom
//! section. The check then knows which spec types hold stored data: it reports a
//! build that stops declaring one (or drops the declaration) as breaking, and says
//! so when neither build declares anything, because then it cannot tell whether
//! every storage type was in the spec.
//!
//! Storage *keys* and *durability* (which key a version reads, in instance,
//! persistent or temporary storage) are still not in any section: the check says
//! so in every report.
#![no_std]

/// The custom section [`storage_types!`] writes: the declared type names, each
/// followed by `\n` (the linker concatenates the sections of several declarations).
pub const SECTION: &str = "extrefstoragev0";

/// The section's length for `names`.
#[doc(hidden)]
pub const fn __section_len(names: &[&str]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < names.len() {
        len += names[i].len() + 1;
        i += 1;
    }
    len
}

/// The section's bytes for `names` (`N` = [`__section_len`]).
#[doc(hidden)]
pub const fn __section<const N: usize>(names: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < names.len() {
        let name = names[i].as_bytes();
        let mut j = 0;
        while j < name.len() {
            out[at] = name[j];
            at += 1;
            j += 1;
        }
        out[at] = b'\n';
        at += 1;
        i += 1;
    }
    out
}

/// Declares the contract's storage types (see the crate docs): each must be a
/// `#[contracttype]` in the spec (`pub`, or private with `export = true`), named as
/// in the current scope.
#[macro_export]
macro_rules! storage_types {
    ($($ty:ident),+ $(,)?) => {
        const _: () = {
            // Only a type soroban-sdk wrote into the spec has `spec_xdr`.
            $(let _ = $ty::spec_xdr;)+
            const NAMES: &[&str] = &[$(stringify!($ty)),+];
            const LEN: usize = $crate::__section_len(NAMES);
            #[used]
            #[cfg_attr(target_family = "wasm", link_section = "extrefstoragev0")]
            static STORAGE_TYPES: [u8; LEN] = $crate::__section::<LEN>(NAMES);
        };
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_section_lists_each_name_on_its_line() {
        const NAMES: &[&str] = &["DataKey", "Config"];
        const LEN: usize = super::__section_len(NAMES);
        assert_eq!(&super::__section::<LEN>(NAMES), b"DataKey\nConfig\n");
    }

    #[allow(dead_code)]
    struct Exported;
    impl Exported {
        #[allow(dead_code)]
        const fn spec_xdr() -> [u8; 0] {
            []
        }
    }
    // Compiles: the type has a spec.
    crate::storage_types!(Exported);
}
