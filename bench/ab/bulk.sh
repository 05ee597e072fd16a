#!/bin/bash
# Before/after of HTTP bulk ingest: FILE (NDJSON) into a fresh store, the server from each checkout's dist/ in turn:
#   bench/ab/bulk.sh FILE CHECKOUT...   (run it as: before after before after)
here=$(cd "$(dirname "$0")" && pwd)
file=$1; shift
for dir in "$@"; do
  store=$(mktemp -d)
  (cd "$dir" && CDP_DATA_DIR=$store PORT=3999 CDP_ADMIN_KEY=bench-admin-key-0123456789abcdef CDP_LOG_LEVEL=warn exec node dist/main.js start > /tmp/cdp-ab-bulk.log 2>&1 &)
  sleep 3; pid=$(pgrep -f "dist/main.js start" | head -1)
  echo "$dir $(node "$here/bulk.mjs" http://127.0.0.1:3999 "$file") peak_rss_kb=$(grep VmHWM /proc/$pid/status | tr -s ' ' | cut -d' ' -f2)"
  kill "$pid"; sleep 1; rm -rf "$store"
done
