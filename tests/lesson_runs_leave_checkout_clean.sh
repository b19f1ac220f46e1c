#!/usr/bin/env bash
# Runs the command lines a lesson shows, each from the folder the lesson runs it in,
# and checks that they leave the checkout as they found it: `git status` — with the
# contents of every file it lists, so a file that was already changed or untracked
# must not change either — is the same before and after.
#
#   lesson_runs_leave_checkout_clean.sh SOURCE_DIR ::: FOLDER PROGRAM ARGS... [::: FOLDER PROGRAM ARGS...]...
#
# FOLDER is relative to SOURCE_DIR. Exits 77 (CTest: Skipped) when SOURCE_DIR is not
# a git checkout, 1 when a command fails or the checkout changed.
set -u

source_dir=$1
shift
if ! command -v git > /dev/null 2>&1 || ! git -C "$source_dir" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  echo "SKIP: $source_dir is not a git checkout (or git is missing)"
  exit 77
fi

# One line per entry of `git status`, followed by the hash of the file's contents.
snapshot() {
  git -C "$source_dir" status --porcelain --untracked-files=all | while IFS= read -r line; do
    path=${line#???}
    if [ -f "$source_dir/$path" ]; then
      printf '%s %s\n' "$line" "$(git -C "$source_dir" hash-object -- "$path")"
    else
      printf '%s\n' "$line"
    fi
  done
}

before=$(snapshot)
failed=0

# Runs one group: FOLDER PROGRAM ARGS...
run_group() {
  local folder=$1
  shift
  echo "\$ (cd $folder && $*)"
  if ! (cd "$source_dir/$folder" && "$@"); then
    echo "FAILED: (cd $folder && $*)"
    failed=1
  fi
  echo
}

if [ "${1:-}" != ":::" ]; then
  echo "usage: lesson_runs_leave_checkout_clean.sh SOURCE_DIR ::: FOLDER PROGRAM ARGS... [::: ...]" >&2
  exit 2
fi
group=()
for arg in "$@" ":::"; do
  if [ "$arg" = ":::" ]; then
    if [ ${#group[@]} -gt 0 ]; then run_group "${group[@]}"; fi
    group=()
  else
    group+=("$arg")
  fi
done

after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "FAILED: the commands changed the checkout ($source_dir); git status before (<) and after (>):"
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after")
  failed=1
fi
if [ "$failed" -eq 0 ]; then echo "every command succeeded and the checkout is unchanged"; fi
exit "$failed"
