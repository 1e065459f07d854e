#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer); the targets are in fuzz/ (fuzz/README.md).
#
#   bash scripts/fuzz.sh                 replay the committed corpus of every target,
#                                        then fuzz each for 30 s (what CI runs)
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh pdf_inspect rows
#                                        the same for some targets, 10 minutes each
#
# Runs on stable Rust: cargo-fuzz passes `-Z` flags to rustc, which stable
# accepts with RUSTC_BOOTSTRAP=1 (no nightly toolchain needed). No sanitizer
# (`-s none`): the workspace forbids unsafe code, so the fuzzer looks for
# panics, overflows (debug assertions are on), hangs and memory blow-ups, and
# runs about twice as fast as under AddressSanitizer. Builds go to
# fuzz/target; new inputs found go to a temporary folder, never into the
# committed corpus; a crashing input is kept in fuzz/artifacts/<target>/.
set -euo pipefail
exec </dev/null

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CARGO_FUZZ_VERSION="0.13.2"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
ALL_TARGETS=(pdf_inspect pdf_text address_parse rows compose scan_images)
die() { printf 'fuzz.sh: %s\n' "$*" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
if [[ "$(cargo fuzz --version 2>/dev/null || true)" != *"$CARGO_FUZZ_VERSION"* ]]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi
export RUSTC_BOOTSTRAP=1
# The fuzz crate has its own target dir (fuzz/target), whatever the workspace uses.
unset CARGO_TARGET_DIR
FUZZ=(cargo fuzz)
OPTS=(--sanitizer none)

targets=("$@")
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ -d "fuzz/corpus/$t" ]] || die "unknown target $t (no fuzz/corpus/$t)"
done

started=$SECONDS
echo "== cargo fuzz build (${OPTS[*]})"
"${FUZZ[@]}" build "${OPTS[@]}"
echo "   built in $((SECONDS - started)) s"

NEW="$(mktemp -d)"
trap 'rm -rf "$NEW"' EXIT
failed=()
found=()
for t in "${targets[@]}"; do
  mkdir -p "$NEW/$t"
  echo "== $t: replay fuzz/corpus/$t ($(find "fuzz/corpus/$t" -type f | wc -l) inputs)"
  if ! "${FUZZ[@]}" run "${OPTS[@]}" "$t" "fuzz/corpus/$t" -- -runs=0 -timeout=20; then
    failed+=("$t (corpus replay)")
    continue
  fi
  echo "== $t: fuzz for $SECONDS_PER_TARGET s"
  if ! "${FUZZ[@]}" run "${OPTS[@]}" "$t" "$NEW/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1; then
    found+=("$t")
  fi
done
echo "   fuzzing took $((SECONDS - started)) s in all"
if ((${#found[@]})); then
  ls -l fuzz/artifacts/*/ 2>/dev/null || true
  # A new finding of the timed search is a new bug, not a regression: CI
  # (FUZZ_NEW_FINDINGS=report) prints it loudly and keeps the corpus replay as
  # its gate, so a chance find does not decide whether a change lands.
  if [[ "${FUZZ_NEW_FINDINGS:-fail}" == report ]]; then
    printf '\nfuzz.sh: NEW FINDINGS in: %s (inputs above, in fuzz/artifacts/; see fuzz/README.md to reproduce)\n' "${found[*]}" >&2
  else
    failed+=("${found[@]}")
  fi
fi
if ((${#failed[@]})); then
  die "findings in: ${failed[*]} (inputs in fuzz/artifacts/; see fuzz/README.md to reproduce)"
fi
((${#found[@]})) || echo "fuzz.sh: no findings"
