#!/usr/bin/env bash
# From nothing to the wizard's first frame, two ways, side by side on this machine:
#   source: a clean `cargo install --locked --path .` (its own empty target directory), then run;
#   wheel:  `pip install` of the release wheel into a fresh venv, then run.
# The wheel itself is built first (not timed: that is the release workflow's job). Prints one
# line per path plus the wheel's size and platform tag. Takes a few minutes: two release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'tmux kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
export TMUX_TMPDIR="$work"

cp -r tests/fixtures/team-project "$work/project"

now() { date +%s.%N; }
# Seconds from $1 (a start time) until the wizard's first frame is on a 100x30 screen.
first_frame() {
  local bin=$1 start=$2
  tmux new-session -d -s bench -x 100 -y 30 "cd '$work/project' && '$bin'; sleep 30"
  until tmux capture-pane -p -t bench 2>/dev/null | grep -q 'Step 1 of'; do sleep 0.02; done
  local end; end=$(now)
  tmux kill-session -t bench
  awk "BEGIN { print $end - $start }"
}

echo "building the release wheel (not timed)…" >&2
maturin build --release --locked --strip --out "$work/dist" >/dev/null 2>&1
wheel=$(ls "$work"/dist/*.whl)

start=$(now)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --no-deps "$wheel"
wheel_secs=$(first_frame "$work/venv/bin/lakekeeper-setup" "$start")

start=$(now)
CARGO_TARGET_DIR="$work/target" cargo install --quiet --locked --path . --root "$work/cargo" 2>/dev/null
source_secs=$(first_frame "$work/cargo/bin/lakekeeper-setup" "$start")

printf 'wheel path  (venv + pip install + first frame): %6.1f s\n' "$wheel_secs"
printf 'source path (clean cargo install + first frame): %6.1f s\n' "$source_secs"
printf 'wheel: %s, %s bytes\n' "$(basename "$wheel")" "$(stat -c %s "$wheel")"
