#!/bin/sh
# expect_failure.sh MESSAGE COMMAND [ARGS...]
# Passes when COMMAND exits with a non-zero status below 128 (an error, not a
# crash) and its standard error contains MESSAGE.
message=$1
shift
error_output=$("$@" 2>&1 >/dev/null)
status=$?
if [ "$status" -eq 0 ] || [ "$status" -ge 128 ]; then
  echo "expected a clean failure, got exit status $status from: $*" >&2
  exit 1
fi
case $error_output in
  *"$message"*) echo "failed as expected (status $status): $error_output" ;;
  *) echo "exit status $status, but stderr lacks \"$message\": $error_output" >&2; exit 1 ;;
esac
