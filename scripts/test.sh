#!/usr/bin/env bash
# Courrier's one test command: bash scripts/test.sh
#
# On a Debian 12 machine with Rust, Node and PostgreSQL 15 it:
#   1. installs what the tests need and is missing (apt-get; log in target/test-logs/),
#   2. makes sure PostgreSQL answers on 127.0.0.1:5432 (starts the cluster if not),
#   3. runs every Rust test of the workspace, SQLite and PostgreSQL backends
#      (COURRIER_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/postgres),
#   4. builds the courrier binary and runs the browser end-to-end tests in e2e/
#      (playwright-core with Debian's /usr/bin/chromium, node --test).
# Safe to run again and again. Exits non-zero if anything failed.
# CI is passed through as it is: with CI=true a missing service fails a test
# instead of skipping it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_DIR="$ROOT/target/test-logs"
mkdir -p "$LOG_DIR"

section() { printf '\n==> %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

# cargo lives in ~/.cargo/bin, which a bare environment may not have on PATH.
if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found"
command -v node >/dev/null 2>&1 || die "node not found"
command -v npm >/dev/null 2>&1 || die "npm not found"

# ---------------------------------------------------------------- packages --
# OCR (crates/app/src/ocr.rs): the tesseract CLI with its four languages (pages are drawn in
# process). poppler-utils is for the tests only: pdftotext checks merged letters' text
# (crates/merge/tests), pdftoppm makes the JPEG photos of the OCR and scan tests.
APT_PACKAGES=(chromium python3-aiosmtpd curl clamav-daemon poppler-utils
  tesseract-ocr tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-ita tesseract-ocr-eng
  qpdf)
section "system packages: ${APT_PACKAGES[*]}"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=(sudo)
  fi
  APT_LOG="$LOG_DIR/apt-get.log"
  echo "installing ${missing[*]} (output: $APT_LOG)"
  # Wait for another apt/dpkg run instead of failing on its lock.
  APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 --no-install-recommends)
  apt_install() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=600 &&
      "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTS[@]}" "${missing[@]}"
  }
  if ! apt_install >>"$APT_LOG" 2>&1; then
    echo "apt-get failed once; repairing dpkg and trying again" | tee -a "$APT_LOG"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a >>"$APT_LOG" 2>&1 || true
    if ! apt_install >>"$APT_LOG" 2>&1; then
      tail -n 30 "$APT_LOG" >&2
      die "apt-get install ${missing[*]} failed (full log: $APT_LOG)"
    fi
  fi
else
  echo "all installed"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing chromium"

# ------------------------------------------------------ Python test servers --
# moto's S3-compatible server backs the S3 blob store tests.
section "python packages: moto[server]"
PY_SCRIPTS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
export PATH="$PY_SCRIPTS:$PATH"
if command -v moto_server >/dev/null 2>&1; then
  echo "all installed"
else
  echo "installing moto[server] (output: $LOG_DIR/pip.log)"
  python3 -m pip install -q 'moto[server]' >>"$LOG_DIR/pip.log" 2>&1 || { tail -n 30 "$LOG_DIR/pip.log" >&2; die "pip install moto[server] failed"; }
  command -v moto_server >/dev/null 2>&1 || die "moto_server is not on PATH after installing moto[server]"
fi

# -------------------------------------------------------------- PostgreSQL --
section "PostgreSQL on 127.0.0.1:5432"
if pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "ready"
else
  echo "not answering; starting the cluster"
  for conf in /etc/postgresql/*/main; do
    version="$(basename "$(dirname "$conf")")"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p 5432 || die "PostgreSQL did not become ready on 127.0.0.1:5432 within 60 s"
fi

# ---------------------------------------------------------------- env ------
if [[ -n "${CI+set}" ]]; then export CI; fi
export COURRIER_TEST_POSTGRES="${COURRIER_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
echo "CI=${CI-<unset>} COURRIER_TEST_POSTGRES=$COURRIER_TEST_POSTGRES"

failed=()

# ---------------------------------------------------------------- Rust -----
section "cargo test --workspace"
if ! cargo test --workspace --no-fail-fast; then
  failed+=("cargo test --workspace")
fi

# ---------------------------------------------------------------- e2e ------
section "cargo build -p courrier (for the browser tests)"
if ! cargo build -p courrier; then
  failed+=("cargo build -p courrier")
  printf '\ntest.sh: FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
E2E_COURRIER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/courrier"
case "$E2E_COURRIER_BIN" in /*) ;; *) E2E_COURRIER_BIN="$ROOT/$E2E_COURRIER_BIN" ;; esac
export E2E_COURRIER_BIN

section "e2e: npm ci"
cd "$ROOT/e2e"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
lock_sum="$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"
stamp="node_modules/.courrier-lock.sha256"
if [[ -d node_modules && -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
  echo "node_modules up to date"
else
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

section "e2e: node --test (browser flows, French walk; artifacts in e2e/screenshots/, e2e/screenshots-french/)"
shopt -s nullglob
e2e_tests=(*.test.mjs)
shopt -u nullglob
((${#e2e_tests[@]})) || die "no e2e/*.test.mjs found"
if ! timeout --kill-after=30s 15m node --test "${e2e_tests[@]}"; then
  failed+=("e2e (node --test ${e2e_tests[*]})")
fi
cd "$ROOT"

if ((${#failed[@]})); then
  printf '\ntest.sh: FAILED: %s\n' "$(IFS=';'; echo "${failed[*]}")" >&2
  exit 1
fi
printf '\ntest.sh: all tests passed\n'
