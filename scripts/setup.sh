#!/usr/bin/env bash
# Installs what the project needs on a fresh machine with only Node 20 + npm: pnpm, the workspace, and the Debian
# packages for the tests that need real servers (redis-server for @omnidealer/redis). Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  # corepack's signature check fails on some machines; npm's global install does not.
  npm install -g pnpm@10 >/dev/null 2>&1 || npm install -g pnpm@10
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing redis-server (Debian package) for the Redis scale-out tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "setup: redis-server not found and cannot apt-get install it; install it to run @omnidealer/redis tests" >&2
  fi
fi

pnpm install --frozen-lockfile=false
