//! The wizard's Azure lists, fetched off the front end's thread: `Effect::Fetch(kind)` starts
//! one on its own thread and its answer comes back through the front end's inbox as
//! `Msg::Listed`, so the screen keeps repainting while `az` takes its ten seconds.
//!
//! What lists is a `Lister` (a blocking function of the list kind): the real one asks Azure,
//! tests and the benchmark hand in their own.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use tokio::sync::OnceCell;

use crate::azure::{self, Choice, ListError, ListKind};
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

/// The lists from the user's Azure login: one Azure CLI session for the run (made on the first
/// list, so a wizard that never opens a picker never starts `az`; not kept when it fails, so
/// `az login` in another terminal and the key again is enough), on one runtime shared by the
/// fetch threads. `tenant` (the team's, when known) goes to every token request.
pub fn azure(tenant: Option<String>, hints: azure::Hints) -> Lister {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("azure")
        .enable_all()
        .build()
    {
        Ok(rt) => Arc::new(rt),
        Err(e) => {
            let why = format!("could not start the Azure client: {e}");
            return Arc::new(move |_| Err(ListError::Failed(why.clone())));
        }
    };
    let session: Arc<OnceCell<azure::Session>> = Arc::new(OnceCell::new());
    Arc::new(move |kind| {
        rt.block_on(async {
            let s = session
                .get_or_try_init(|| azure::Session::from_az(tenant.as_deref()))
                .await?;
            azure::list_with(s, kind, &hints).await
        })
    })
}

/// The one line to show before any list when `az` is not even on `PATH` (no process started).
pub fn assist_off_at_start(path: Option<&str>) -> Option<String> {
    if azure::az::find_az(path.map(std::ffi::OsStr::new)).is_some() {
        return None;
    }
    Some(azure::assist_off_line(
        &azure::az::AzError::NotInstalled.to_string(),
    ))
}
