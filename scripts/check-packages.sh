#!/usr/bin/env bash
# Release check of what `changeset publish` would upload. Runs tests/packaging, which builds every package under
# packages/ (tsup), packs each with `pnpm pack` (publishConfig applied, workspace ranges replaced) into a temp dir and
# fails unless every tarball
#   - passes publint (no errors, no warnings) and are-the-types-wrong (profile node16: ESM and CJS under node16, and
#     bundler resolution; node10 ignored, the packages need Node >= 20.19),
#   - ships only dist/, README.md, CHANGELOG.md, LICENSE and package.json, within its size budget,
#   - installs with npm into an ESM and a CommonJS project that import every package (the ESM one type-checked with
#     moduleResolution nodenext).
# Usage: pnpm check-packages   (needs the npm registry for the consumer projects)
set -euo pipefail
cd "$(dirname "$0")/.."
OMNIDEALER_PACKAGING_CONSUMERS=1 exec pnpm exec vitest run --project packaging "$@"
