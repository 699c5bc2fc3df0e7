#!/usr/bin/env bash
# Runs every test of the project from a fresh clone: installs the
# dependencies (npm registry, Go module proxy), builds the frontend and the
# backend, then typecheck, lint, jest, go vet, go test -race (unit, fuzz seeds,
# sandbox) and the host contract test against the built binary, and last the
# editors in a real browser (Debian's chromium, installed when missing: CI runs
# as root) against the built binary and the sandbox. The high-availability
# contract tests start Debian's redis-server (installed when missing too).
#
#   ./scripts/test.sh            everything
#   SKIP_INSTALL=1 ./scripts/test.sh   reuse node_modules
set -euo pipefail
cd "$(dirname "$0")/.."

# Go packages live here; ./... would also walk node_modules (which ships Go files).
GO_PKGS=(./pkg/... ./internal/... ./cmd/... ./test/... ./tests/...)

step() { printf '\n==> %s\n' "$*"; }

if [[ -z "${SKIP_INSTALL:-}" ]]; then
  step "npm ci"
  npm ci --no-audit --no-fund
  step "go mod download"
  go mod download
fi

step "frontend: typecheck"
npm run typecheck
step "frontend: lint"
npm run lint
step "frontend: jest"
npm run test:ci
step "frontend: build (dist/module.js, dist/plugin.json)"
npm run build
step "frontend: build the browser test's page and server (tests/browser → dist-harness/)"
npm run build:harness

step "backend: build dist/gpx_servicestats_linux_amd64 (mage build:linux)"
go run github.com/magefile/mage -v build:linux
step "package: dist/ holds what plugin.json names, the README's links are absolute, levitate against the grafanaDependency minimum"
node scripts/package-check.mjs
step "backend: go vet"
go vet "${GO_PKGS[@]}"
step "backend: Debian's redis-server for the high-availability tests (installed when missing)"
if ! command -v redis-server >/dev/null; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server
fi
step "backend: go test -race (unit, sandbox, contract)"
go test -race -count=1 -timeout 25m "${GO_PKGS[@]}"
step "backend: the benchmarks still run (one short iteration each; the figures: ./scripts/bench.sh)"
SERVICESTATS_BENCH_SHORT=1 go test -p 1 -run '^$' -bench . -benchtime 1x -timeout 10m ./pkg/ovh ./pkg/onapp ./pkg/pulse ./test/contract

step "browser: Debian's chromium and the Inter web font (installed when missing)"
if ! command -v chromium >/dev/null || [[ ! -e /usr/share/fonts/opentype/inter/Inter-Regular.otf ]]; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-inter
fi
step "browser: the editors against the built binary and the sandbox (screenshots in dist-harness/screenshots/)"
npm run test:browser
