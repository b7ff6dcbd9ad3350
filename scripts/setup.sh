#!/usr/bin/env bash
# One-time (and idempotent) setup: system tools, npm dependencies, package builds.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v nginx >/dev/null 2>&1 || need_apt+=(nginx)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
[ -f /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so ] || need_apt+=(libnginx-mod-http-brotli-filter)
# The CI perf gate counts instructions under valgrind (stable on a shared, noisy runner).
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
# better-sqlite3 compiles its native addon with node-gyp when no prebuilt binary can be downloaded (offline).
command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || need_apt+=(g++ make)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)

if [ ${#need_apt[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing system tools: ${need_apt[*]}." >&2
    echo "setup: this script installs them with apt-get on Debian/Ubuntu; install them with your system's package manager, then run it again." >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${need_apt[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# `npm install` rather than `npm ci`: the lock names a Windows-only optional package of vite that the
# registry reachable here does not serve, and `npm ci` refuses the lock for it. With the lock present,
# `npm install` installs exactly the locked versions. Skipped when node_modules already matches the lock.
stamp=node_modules/.pilms-setup-stamp
lock_hash=$( (sha256sum package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "setup: npm install (from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

echo "setup: building packages"
npm run build --silent >/dev/null
echo "setup: done. Start the LMS with \`npm start\`, run the tests with \`npm test\`."
