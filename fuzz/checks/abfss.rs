//! The `abfss://` warehouse-location parser (`validate::abfss`), with and without a cloud.
//!
//! Properties: no input panics; an accepted location is in the requested cloud, its parts
//! pass their own validators unchanged, and it renders (`to_uri`) to text that parses back to
//! the same location with no further note.

use lakekeeper_setup::model::Cloud;
use lakekeeper_setup::validate;

/// One input, decoded as `fuzz_target!` decodes a typed input.
pub fn run(data: &[u8]) {
    let Ok(data) = <(u8, &str) as arbitrary::Arbitrary>::arbitrary_take_rest(
        arbitrary::Unstructured::new(data),
    ) else {
        return;
    };
    let (selector, raw) = data;
    let cloud = match selector % 4 {
        0 => None,
        1 => Some(Cloud::Public),
        2 => Some(Cloud::UsGov),
        _ => Some(Cloud::China),
    };
    let Ok(checked) = validate::abfss(raw, cloud) else {
        return;
    };
    let loc = &checked.value;
    assert!(cloud.is_none_or(|c| c == loc.cloud), "{raw:?}: wrong cloud");
    assert_eq!(Cloud::from_dfs_host(&loc.host), Some(loc.cloud));
    let part = |r: Result<validate::Checked<String>, _>| r.ok().map(|c| c.value);
    assert_eq!(
        part(validate::storage_account(&loc.account)).as_ref(),
        Some(&loc.account)
    );
    assert_eq!(
        part(validate::container(&loc.filesystem)).as_ref(),
        Some(&loc.filesystem)
    );
    assert_eq!(
        part(validate::key_prefix(&loc.key_prefix)).as_ref(),
        Some(&loc.key_prefix)
    );
    let uri = loc.to_uri();
    match validate::abfss(&uri, cloud) {
        Ok(again) => {
            assert_eq!(&again.value, loc, "{raw:?} → {uri:?} parses differently");
            assert!(
                again.notes.is_empty(),
                "{uri:?} normalised again: {:?}",
                again.notes
            );
        }
        Err(e) => panic!("{raw:?} accepted, its rendering {uri:?} refused: {e}"),
    }
}
