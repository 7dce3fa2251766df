//! The wizard's Azure lists, fetched off the front end's thread: `Effect::Fetch(kind)` starts
//! one on its own thread and its answer comes back through the front end's inbox as
//! `Msg::Listed`, so the screen keeps repainting while `az` takes its ten seconds.
//!
//! What lists is a `Lister` (a blocking function of the list kind): the real one asks Azure,
//! tests and the benchmark hand in their own.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use crate::azure::pick::{Choice, ListError, ListKind};
use crate::wizard::Msg;

/// Fetches one list; blocking, called on a background thread.
pub type Lister = Arc<dyn Fn(&ListKind) -> Result<Vec<Choice>, ListError> + Send + Sync>;

/// Starts fetching `kind` on its own thread; the answer goes to `tx` as `Msg::Listed`. A send to
/// a front end that has already left fails and is ignored. If no thread can be started, the
/// failure is the answer, returned at once.
pub fn spawn_fetch(lister: &Lister, kind: ListKind, tx: &Sender<Msg>) -> Option<Msg> {
    let lister = Arc::clone(lister);
    let tx = tx.clone();
    let k = kind.clone();
    std::thread::Builder::new()
        .name("azure-list".into())
        .spawn(move || {
            let r = lister(&k);
            let _ = tx.send(Msg::Listed(k, r));
        })
        .err()
        .map(|e| {
            Msg::Listed(
                kind,
                Err(ListError::Failed(format!("could not start the list: {e}"))),
            )
        })
}
