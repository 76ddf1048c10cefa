#!/usr/bin/env bash
# Installs what is missing, from the machine's registries only (Debian, npm, Go module proxy).
# Idempotent: a second run checks and skips. Usage: bash scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS="$ROOT/.tools"
FERRETDB_VERSION=v1.24.2
MEDIASOUP_WORKER_BIN_DEFAULT=/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker
export MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-$MEDIASOUP_WORKER_BIN_DEFAULT}"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing: $2"; }

need node "install Node.js 20.19+ (apt-get install nodejs, or your distribution's package)"
need npm "install npm (comes with Node.js)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: install Node.js 20.19 or newer"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# --- Debian packages -------------------------------------------------------------
apt_missing=()
command -v ffmpeg  >/dev/null 2>&1 || apt_missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || apt_missing+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
# The portal adds FerretDB's missed `_id` index with it at start (server/store/sqlite-id-index.ts).
command -v sqlite3 >/dev/null 2>&1 || apt_missing+=(sqlite3)
command -v pdftotext >/dev/null 2>&1 || apt_missing+=(poppler-utils)   # the tests read the PDFs they print
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || apt_missing+=(fonts-noto-cjk)
[ -x "$MEDIASOUP_WORKER_BIN" ] || apt_missing+=(mediasoup-worker)
if [ ${#apt_missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${apt_missing[*]}: install them with your package manager (mediasoup-worker 3.8.4 from Debian experimental)"
  say "installing Debian packages: ${apt_missing[*]}"
  if printf '%s\n' "${apt_missing[@]}" | grep -qx mediasoup-worker; then
    # Only mediasoup-worker may come from experimental: the suite is added at priority 1
    # (never chosen by itself) and this one package is pinned to it.
    $SUDO tee /etc/apt/sources.list.d/debian-experimental.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: experimental
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO tee /etc/apt/preferences.d/mediasoup-experimental >/dev/null <<'PIN'
Package: *
Pin: release a=experimental
Pin-Priority: 1

Package: mediasoup-worker
Pin: release a=experimental
Pin-Priority: 990
PIN
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    $(printf '%s\n' "${apt_missing[@]}" | sort -u | sed 's/^mediasoup-worker$/mediasoup-worker=3.8.4~dfsg1-1 libsrtp2-1 libusrsctp2/') >/dev/null
fi
[ -x "$MEDIASOUP_WORKER_BIN" ] || die "mediasoup worker not found at $MEDIASOUP_WORKER_BIN: apt-get install mediasoup-worker (Debian experimental, 3.8.4~dfsg1-1) or set MEDIASOUP_WORKER_BIN"

# --- FerretDB (embedded store) -----------------------------------------------------
# FerretDB v1.24.2's go.mod says `go 1.24`: an older Go refuses to build it. Debian bookworm's
# golang is 1.19 and bookworm-backports stops at 1.23; trixie (Debian 13) has golang-1.24.
GO_MIN=1.24
go_version() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p'; }
go_ok() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$GO_MIN" "$1" | sort -V | head -n1)" = "$GO_MIN" ]; }
ensure_go() {
  GO="${GO:-$(command -v go || true)}"
  local have=""
  [ -n "$GO" ] && have=$(go_version "$GO")
  go_ok "$have" && return 0
  # A Debian package of Go >= 1.24, if this machine's sources have one (trixie and later).
  if command -v apt-get >/dev/null 2>&1; then
    local pkg
    pkg=$(apt-cache pkgnames golang-1. 2>/dev/null | sed -n 's/^golang-\(1\.[0-9][0-9]*\)-go$/\1/p' | sort -V | tail -n1 || true)
    if go_ok "$pkg" && [ -n "$(apt-cache policy "golang-$pkg-go" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v none)" ]; then
      say "installing Debian's golang-$pkg-go (found Go ${have:-none}, FerretDB needs Go >= $GO_MIN)"
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "golang-$pkg-go" >/dev/null
      GO="/usr/lib/go-$pkg/bin/go"
      go_ok "$(go_version "$GO")" && return 0
    fi
  fi
  local found="no Go"
  [ -n "$have" ] && found="Go $have at $GO"
  die "FerretDB ${FERRETDB_VERSION} needs Go >= $GO_MIN to build; found $found. Install Go >= $GO_MIN (e.g. Debian's golang-1.24 from trixie; bookworm's golang is 1.19 and bookworm-backports stops at 1.23) and put it first in PATH, or set GO=/path/to/bin/go"
}

if ! "$TOOLS/bin/ferretdb" --version 2>/dev/null | grep -q "${FERRETDB_VERSION}"; then
  ensure_go
  say "building FerretDB ${FERRETDB_VERSION} into .tools/bin with Go $(go_version "$GO")"
  mkdir -p "$TOOLS/bin" "$TOOLS/go"
  export GOFLAGS=-buildvcs=false
  # Build with the Go we checked: never let it fetch a newer toolchain by itself.
  export GOTOOLCHAIN=local
  go() { "$GO" "$@"; }
  # `go install module@version` builds a binary whose version file is missing (the upstream
  # build generates it), and that binary panics at start. So fetch the same module through the
  # Go module proxy, add the version file, and build that.
  GOBIN="$TOOLS/bin" go install "github.com/FerretDB/FerretDB/cmd/ferretdb@${FERRETDB_VERSION}"
  if ! "$TOOLS/bin/ferretdb" --version >/dev/null 2>&1; then
    src=$(go mod download -json "github.com/FerretDB/FerretDB@${FERRETDB_VERSION}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
    rm -rf "$TOOLS/go/ferretdb-src"
    cp -r "$src" "$TOOLS/go/ferretdb-src"
    chmod -R u+w "$TOOLS/go/ferretdb-src"
    echo "${FERRETDB_VERSION}" > "$TOOLS/go/ferretdb-src/build/version/version.txt"
    echo "v1.24.2-release" > "$TOOLS/go/ferretdb-src/build/version/commit.txt"
    echo "release" > "$TOOLS/go/ferretdb-src/build/version/package.txt"
    (cd "$TOOLS/go/ferretdb-src" && go build -trimpath -o "$TOOLS/bin/ferretdb" ./cmd/ferretdb)
    rm -rf "$TOOLS/go/ferretdb-src"
  fi
  "$TOOLS/bin/ferretdb" --version >/dev/null || die "FerretDB build failed"
fi

# --- npm ---------------------------------------------------------------------------
# Install scripts stay off: mediasoup's would compile a worker, and we use Debian's.
stamp="node_modules/.setup-stamp"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm dependencies"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# --- client and server build ---------------------------------------------------------
if [ "${1:-}" != "--no-build" ]; then
  newest_src=$(find client vite.config.ts -type f -newer dist/client/index.html 2>/dev/null | head -n 1 || true)
  if [ ! -f dist/client/index.html ] || [ -n "$newest_src" ]; then
    say "building the client"
    npx vite build --logLevel warn
  fi
  # The server as JavaScript for `npm start` (dev and tests run the TypeScript through tsx).
  newest_src=$(find server media config vite.server.config.ts -type f -newer dist/server/main.js 2>/dev/null | head -n 1 || true)
  if [ ! -f dist/server/main.js ] || [ -n "$newest_src" ]; then
    say "building the server"
    npx vite build --config vite.server.config.ts --logLevel warn
  fi
fi
say "ready (ffmpeg $(ffmpeg -version | head -n1 | cut -d' ' -f3), FerretDB ${FERRETDB_VERSION}, mediasoup worker $MEDIASOUP_WORKER_BIN)"
