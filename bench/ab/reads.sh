#!/bin/bash
# Before/after of the read path on one store, the server from each checkout's dist/ in turn:
#   bench/ab/reads.sh STORE_DIR PROFILES CHECKOUT...   (e.g. a store made by `cdp import` of
#   `npm run bench:floor`'s generated file; run it as: before after before after)
# GET /api/user at random generated cookies and cohort pages at random cursors, 50 connections, 8 s.
here=$(cd "$(dirname "$0")" && pwd)
store=$1; profiles=$2; shift 2
for dir in "$@"; do
  (cd "$dir" && CDP_DATA_DIR=$store PORT=3999 CDP_ADMIN_KEY=bench-admin-key-0123456789abcdef CDP_LOG_LEVEL=warn exec node dist/main.js start > /tmp/cdp-ab-reads.log 2>&1 &)
  sleep 3; pid=$(pgrep -f "dist/main.js start" | head -1)
  echo "$dir $(node "$here/load.mjs" http://127.0.0.1:3999 user "$profiles" 8) $(node "$here/load.mjs" http://127.0.0.1:3999 cohort "$profiles" 8) peak_rss_kb=$(grep VmHWM /proc/$pid/status | tr -s ' ' | cut -d' ' -f2)"
  kill "$pid"; sleep 1
done
