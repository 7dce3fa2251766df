//! The OpenID provider-URI normaliser (`validate::provider_uri`, used by `check`).
//!
//! Properties: no input panics; an accepted value keeps the promise in the function's doc (no
//! `/.well-known/openid-configuration`, no trailing `/`, no surrounding whitespace); and
//! normalising it again changes nothing and adds no note, because `check` reports any note as
//! an error telling the user to "set it to" the value: that advice must be final.

use lakekeeper_setup::validate;

/// One input, decoded as `fuzz_target!` decodes a typed input.
pub fn run(data: &[u8]) {
    let Ok(raw) =
        <&str as arbitrary::Arbitrary>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
    else {
        return;
    };
    let Ok(checked) = validate::provider_uri(raw) else {
        return;
    };
    let value = checked.value.as_str();
    assert!(
        !value.ends_with('/') && !value.ends_with("/.well-known/openid-configuration"),
        "{raw:?} normalised to {value:?}"
    );
    assert_eq!(value, value.trim(), "{raw:?}: surrounding whitespace kept");
    match validate::provider_uri(value) {
        Ok(again) => {
            assert_eq!(again.value, value, "{raw:?}: not a fixed point");
            assert!(
                again.notes.is_empty(),
                "{value:?} normalised again: {:?}",
                again.notes
            );
        }
        Err(e) => panic!("{raw:?} accepted as {value:?}, which is refused: {e}"),
    }
}
