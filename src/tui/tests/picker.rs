//! The Azure picker drawn over the form: loading (spinner), a filtered list with a greyed row
//! and its why, a refused choice, an error, and the one line when the assist is off. Colour is
//! checked on the buffer: a greyed row is dark grey, the highlight is reversed.

#![allow(clippy::many_single_char_names)]

use ratatui::style::{Color, Modifier};

use super::{render, render_with, send, snap, text, to_step};
use crate::azure::pick::{ListError, ListKind};
use crate::tui::Theme;
use crate::wizard::tests::picker::{accounts, containers, containers_kind, tenants};
use crate::wizard::tests::{complete, fresh};
use crate::wizard::{Msg, Step, Wizard};

fn at(step: Step) -> Wizard {
    let mut w = fresh(complete());
    to_step(&mut w, step);
    w
}

#[test]
fn the_picker_screens_match_their_snapshots() {
    let mut w = at(Step::Tenant);
    send(&mut w, [Msg::Pick, Msg::Tick, Msg::Tick, Msg::Tick]);
    let t = snap("11_picker_loading", &w);
    assert!(
        t.contains("⠸ Asking Azure: tenants you can sign in to"),
        "{t}"
    );
    assert!(t.contains("Esc close (nothing changes)"), "{t}");

    send(&mut w, [Msg::Listed(ListKind::Tenant, Ok(tenants()))]);
    send(&mut w, "fabri".chars().map(Msg::Input));
    let t = snap("11_picker_tenants_filtered", &w);
    assert!(t.contains("Filter: fabri"), "{t}");
    assert!(t.contains("1 of 2 shown"), "{t}");
    assert!(t.contains("▸ Fabrikam  fabrikam.onmicrosoft.com"), "{t}");
    assert!(!t.contains("Contoso"), "filtered out:\n{t}");

    let mut s = at(Step::Storage);
    send(
        &mut s,
        [
            Msg::Pick,
            Msg::Listed(ListKind::StorageAccount, Ok(accounts())),
            Msg::PrevField,
            Msg::Enter,
        ],
    );
    let t = snap("11_picker_storage_greyed_refused", &s);
    assert!(
        t.contains("oldblobs  rg-legacy · westeurope  ✗ no hierarchical namespace (not ADLS Gen2)"),
        "{t}"
    );
    assert!(
        t.contains("✗ oldblobs can't be chosen: no hierarchical namespace"),
        "{t}"
    );

    send(
        &mut s,
        [
            Msg::NextField,
            Msg::Enter,
            Msg::Listed(containers_kind(), Ok(containers())),
        ],
    );
    let t = snap("11_picker_containers", &s);
    assert!(t.contains("Containers of the storage account"), "{t}");
    assert!(
        t.contains("teamlake"),
        "the account is filled behind the popup:\n{t}"
    );

    let mut f = at(Step::Backend);
    send(&mut f, [Msg::Pick, Msg::Listed(ListKind::BackendApp, Err(ListError::Forbidden(
        "your account may not list app registrations; ask an admin for the Directory Readers role, or type the ID".into(),
    )))]);
    let t = snap("11_picker_failed", &f);
    assert!(
        t.contains("✗ Could not list from Azure: your account may not list app registrations"),
        "{t}"
    );
    assert!(t.contains("Ctrl-L try again"), "{t}");

    let mut o = at(Step::Tenant);
    send(&mut o, [Msg::Pick, Msg::Listed(ListKind::Tenant, Err(ListError::AssistOff(
        "Azure assist off: the Azure CLI (`az`) is not installed or not on PATH; install it and run `az login`".into(),
    )))]);
    let t = snap("11_picker_assist_off", &o);
    let lines: Vec<&str> = t
        .lines()
        .filter(|l| l.contains("Azure assist off"))
        .collect();
    assert_eq!(lines.len(), 1, "one line:\n{t}");
    assert!(
        lines[0].contains("Azure assist off: the Azure CLI (`az`) is not installed or not on PATH"),
        "{t}"
    );
    // Not on a step without a field to pick.
    send(&mut o, [Msg::Forward, Msg::Forward, Msg::Forward]);
    assert_eq!(o.step(), Step::Ui);
    send(&mut o, [Msg::Forward, Msg::Forward, Msg::Forward]);
    assert_eq!(o.step(), Step::EncryptionKey);
    assert!(!text(&render(&o)).contains("Azure assist off"));
}

#[test]
fn greyed_rows_are_dim_and_the_highlight_is_reversed_in_colour() {
    let mut s = at(Step::Storage);
    send(
        &mut s,
        [
            Msg::Pick,
            Msg::Listed(ListKind::StorageAccount, Ok(accounts())),
        ],
    );
    let b = render_with(&s, 100, 32, Theme { color: true });
    let t = text(&b);
    let row_of = |needle: &str| {
        let y = t
            .lines()
            .position(|l| l.contains(needle))
            .expect("row shown");
        u16::try_from(y).expect("fits")
    };
    let x_of = |needle: &str, y: u16| {
        let line = t.lines().nth(usize::from(y)).expect("line");
        let byte = line.find(needle).expect("on the line");
        u16::try_from(line[..byte].chars().count()).expect("fits")
    };
    let grey = row_of("oldblobs");
    assert_eq!(b[(x_of("oldblobs", grey), grey)].fg, Color::DarkGray);
    let lake = row_of("▸ teamlake");
    let cell = &b[(x_of("teamlake", lake), lake)];
    assert!(cell.modifier.contains(Modifier::REVERSED), "{cell:?}");
}

#[test]
fn the_pick_key_maps_to_pick_and_shows_only_where_it_works() {
    use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    let ctrl_l = Event::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL));
    let w = at(Step::Tenant);
    assert_eq!(crate::tui::keys::map(&ctrl_l, &w), Some(Msg::Pick));
    assert!(crate::tui::keys::footer(&w).contains(&("Ctrl-L", "pick from Azure")));
    let mut c = w.clone();
    send(&mut c, [Msg::NextField]);
    assert!(
        !crate::tui::keys::footer(&c)
            .iter()
            .any(|(k, _)| *k == "Ctrl-L"),
        "the cloud is not listed from Azure"
    );
    // While the picker is open, letters filter (q does not quit, Esc closes the picker).
    let mut p = w.clone();
    send(
        &mut p,
        [Msg::Pick, Msg::Listed(ListKind::Tenant, Ok(tenants()))],
    );
    let q = Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    assert_eq!(crate::tui::keys::map(&q, &p), Some(Msg::Input('q')));
    assert_eq!(
        crate::tui::keys::footer(&p),
        vec![
            ("type", "filter"),
            ("↑↓ PgUp/PgDn", "move"),
            ("Enter", "choose"),
            ("Esc", "close (nothing changes)")
        ]
    );
}
