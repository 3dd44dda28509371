#!/usr/bin/env bash
# Installs what the project needs on a fresh machine with only Node 20 + npm: pnpm, the workspace, Debian
# packages for the tests that need real servers. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  npm install -g pnpm@10 >/dev/null 2>&1 || npm install -g pnpm@10
fi
pnpm install --frozen-lockfile=false
