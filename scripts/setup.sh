#!/usr/bin/env bash
# Installs what the project needs on a fresh machine with only Node 20 + npm: pnpm, the workspace, and the Debian
# packages for the tests that need real programs. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  # corepack's signature check fails on some machines; npm's global install does not.
  npm install -g pnpm@10 >/dev/null 2>&1 || npm install -g pnpm@10
fi

# Debian packages for tests that need real programs: redis-server (@omnidealer/redis), chromium (the inbox
# example's browser test, driven by playwright-core; browsers are never downloaded) and tcpdump (the multi-process
# rate-limit proof counts requests by kernel packet times at the sandbox's port) and postgresql (the server programs
# @omnidealer/store-postgres's tests start a throwaway cluster with; the packaged cluster itself is not used).
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tcpdump >/dev/null 2>&1 || [ -x /usr/bin/tcpdump ] || missing+=(tcpdump)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: ${missing[*]} not found and apt-get is not usable; the tests that need them will be skipped (or fail under CI)" >&2
  fi
fi

pnpm install --frozen-lockfile=false
