#!/usr/bin/env bash
# One-step set-up used by `npm start` and `npm test` on a fresh clone:
# installs npm dependencies when missing, the Debian packages the eBPF driver needs
# when running as root and they are missing, then builds Wasm, TypeScript and the driver.
set -euo pipefail
cd "$(dirname "$0")/.."

# Missing, or older than the lock file (a pull that added a dependency): npm writes
# node_modules/.package-lock.json at every install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

driver_pkgs=(clang llvm libbpf-dev libelf-dev bpftool make zlib1g-dev pkg-config gcc)
missing=()
for p in "${driver_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages for the eBPF driver: ${missing[*]}" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "setup: WARNING: could not install ${missing[*]}; the live driver will not be built" >&2
  else
    echo "setup: WARNING: missing ${missing[*]} and not root; the live driver will not be built" >&2
  fi
fi

# Rebuild only what changed since the last build (a fresh clone builds everything).
stale() { # stale OUTPUT SOURCES...: true when OUTPUT is missing or older than a source
  [ ! -e "$1" ] && return 0
  local out=$1; shift
  [ -n "$(find "$@" -newer "$out" -type f 2>/dev/null | head -1)" ]
}
if stale build/scapdrift.wasm assembly asconfig.json package.json; then
  echo "setup: building the Wasm decoder (assembly/)" >&2
  npm run --silent build:wasm
fi
if stale dist/bin/cli/main.cjs ts test bench scripts/gen_rules_validator.mjs scripts/gen_decoder_tables.mjs scripts/build_cli.mjs tsconfig.json package.json; then
  echo "setup: compiling TypeScript, bundling the command line (dist/bin/)" >&2
  npm run --silent build:ts
fi
# The event table's description is made from the Wasm's globals too: again when only the Wasm changed.
if stale build/decoder_tables.bin build/scapdrift.wasm scripts/gen_decoder_tables.mjs; then
  node scripts/gen_decoder_tables.mjs
fi

# The live driver: required where it can run (root, kernel BTF), so a broken driver
# fails the set-up loudly there; elsewhere the decoder works without it.
if [ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
  npm run --silent build:driver
elif ! npm run --silent build:driver; then
  echo "setup: WARNING: the live driver was not built (not root or no kernel BTF); scapdrift read works, scapdrift capture does not" >&2
fi
