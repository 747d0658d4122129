#!/usr/bin/env bash
# launcher run -it from a real terminal (tmux): a pty in the guest, line
# editing, Ctrl-C to the foreground process, the window size at start and
# after a resize, and the exit code.
. "$(dirname "$0")/lib.sh"
make_rootfs
session=launcher-tty-$$
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -rf "$RUN_ROOT" "$WORK"' EXIT

screen() { tmux capture-pane -p -t "$session"; }
wait_for() {  # PATTERN: waits until the pane shows it
  for _ in $(seq 1 300); do
    screen | grep -q -- "$1" && return 0
    sleep 0.1
  done
  screen >&2
  fail "the terminal never showed '$1'"
}
type_line() { tmux send-keys -t "$session" -l "$1"; tmux send-keys -t "$session" Enter; }

tmux new-session -d -s "$session" -x 100 -y 30 \
  "LAUNCHER_RUN_ROOT=$RUN_ROOT $LAUNCHER run -it --rootfs $ROOTFS sh; echo EXIT=\$?; sleep 60"
wait_for '^/ #'
type_line 'stty size; tty'
wait_for '^30 100'
wait_for '/dev/pts/0'
pass "a pty with the terminal's size"

tmux send-keys -t "$session" -l 'echo abcX'
tmux send-keys -t "$session" BSpace
type_line 'd'
wait_for '^abcd'
pass "line editing"

type_line 'sleep 100'
sleep 1
tmux send-keys -t "$session" C-c
type_line 'echo still-here'
wait_for '^still-here' # within 30 s: only if Ctrl-C ended the 100 s sleep
pass "Ctrl-C reaches the foreground process"

tmux resize-window -t "$session" -x 120 -y 40
sleep 0.5
type_line 'stty size'
wait_for '^40 120'
pass "SIGWINCH resizes the guest terminal"

type_line 'exit 5'
wait_for 'EXIT=5'
pass "exit code through -it"
