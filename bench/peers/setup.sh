#!/usr/bin/env bash
# bench/peers/setup.sh — install the benchmark peers that come from the npm
# registry (Kuzu, pinned) into bench/peers/node_modules (ignored by git).
# Needs Node.js and npm; tools/dev.sh bench installs them when missing.
# Idempotent: does nothing when the pinned version is already installed.
set -euo pipefail
cd "$(dirname "$0")"

want=0.11.3
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "setup.sh: node and npm are needed (apt-get install nodejs npm)" >&2
	exit 1
fi
have=$(node -e 'try{console.log(require("kuzu/package.json").version)}catch(e){}' 2>/dev/null || true)
if [ "$have" = "$want" ] && node -e 'require("kuzu")' 2>/dev/null; then
	exit 0
fi
echo "== npm install kuzu@$want into bench/peers/node_modules"
npm install --no-audit --no-fund --no-save --loglevel=error "kuzu@$want" >/dev/null
node -e 'require("kuzu")'
