#!/bin/sh
# botwarden-sensor with --workers 2 ($BOTWARDEN_SENSOR_BIN), so that a test
# written for one pipeline (live_loopback.py) runs the worker pool unchanged.
exec "$BOTWARDEN_SENSOR_BIN" --workers 2 "$@"
