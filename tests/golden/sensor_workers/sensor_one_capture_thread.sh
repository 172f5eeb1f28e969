#!/bin/sh
# botwarden-sensor ($BOTWARDEN_SENSOR_BIN) with --workers 2 and [sensor]
# live_fanout = false, appended to the test's own --config file (a temporary
# copy live_loopback.py writes): the one-capture-thread live mode, which is
# also the fallback when the kernel refuses a fanout group.
previous=""
for argument in "$@"; do
  if [ "$previous" = "--config" ]; then printf 'live_fanout = false\n' >> "$argument"; fi
  previous="$argument"
done
exec "$BOTWARDEN_SENSOR_BIN" --workers 2 "$@"
