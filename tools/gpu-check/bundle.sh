#!/usr/bin/env bash
# Packs what the GPU machine cannot build into .gpu/mlopt-gpu.tar.xz (see
# docs/gpu.md): libmlopt.so (every project library, from `make gpu-bundle`),
# libMLIR/libLLVM and every shared library they and libmlopt.so need that is
# not glibc, libstdc++ or libgcc_s, the unit tests, and a MANIFEST.txt.
#
#   tools/gpu-check/bundle.sh [BUILD_DIR]      (default: build)
#
# Layout inside the archive (top directory mlopt-gpu/):
#   lib/           libmlopt.so, libMLIR, libLLVM, OpenBLAS (+ libgfortran,
#                  libquadmath), libomp: always used, first on the library path
#   lib/fallback/  system-ish libraries (libz, libzstd, libtinfo, libffi,
#                  libedit, libbsd, libmd, liblzma, ...): gpu-check uses one
#                  only where the GPU machine has no library of that name
#   bin/           mlopt-unittests
#   MANIFEST.txt   what was packed, from where, sizes, checksums, source hash
#
# Two libraries are replaced by stubs (STUBS below), since carrying them
# would take ~16 MB of the ~48 MiB budget for code mlopt never runs:
# libz3.so.4 (used only by LLVM's SMT solver interface, for Clang's static
# analyzer) and libxml2.so.2 (used only by LLVM's Windows manifest merger;
# the real one would also need ICU's 30 MB data library). A stub defines
# every symbol libLLVM imports from the library; calling one prints its name
# and aborts. A library of the same name on the GPU machine wins over a stub.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:-$REPO/build}" && pwd)
DEST=$REPO/.gpu
ARCHIVE=$DEST/mlopt-gpu.tar.xz
LIMIT_MIB=${MLOPT_BUNDLE_LIMIT_MIB:-48}
STUBS=${MLOPT_BUNDLE_STUBS-"libz3.so.4 libxml2.so.2"}
XZ_THREADS=${XZ_THREADS:-2}

# Libraries every Linux machine has in a compatible (newer) version.
is_system_core() {
  case "$1" in
    linux-vdso.so.* | ld-linux*.so.* | libc.so.* | libm.so.* | libmvec.so.* | \
    libpthread.so.* | libdl.so.* | librt.so.* | libutil.so.* | libresolv.so.* | \
    libanl.so.* | libnsl.so.* | libthread_db.so.* | libBrokenLocale.so.* | \
    libstdc++.so.* | libgcc_s.so.*) return 0 ;;
  esac
  return 1
}
# Carried libraries used before anything on the GPU machine; the rest go to
# lib/fallback/.
is_primary() {
  case "$1" in
    libmlopt.so | libMLIR.so.* | libLLVM.so.* | libopenblas.so.* | libgfortran.so.* | \
    libquadmath.so.* | libomp.so.*) return 0 ;;
  esac
  return 1
}
is_stubbed() { [[ " $STUBS " == *" $1 "* ]]; }
needed() { objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }'; }

LIBMLOPT=$BUILD/lib/libmlopt.so
UNITTESTS=$BUILD/bin/mlopt-unittests
[[ -f $LIBMLOPT ]] || { echo "bundle.sh: $LIBMLOPT is missing: run \`make gpu-bundle\`" >&2; exit 1; }
for tool in objdump strip xz tar cc sha256sum; do
  command -v $tool > /dev/null || { echo "bundle.sh: needs $tool" >&2; exit 1; }
done

# The manifest's source hash is taken now; a source newer than the libraries
# was edited after (or during) the build, so they may not match it.
newer=$(cd "$REPO" && find ir passes codegen runtime frontend -type f \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.td' -o -name CMakeLists.txt \) -newer "$LIBMLOPT" | head -5)
[[ -z $newer ]] || echo "bundle.sh: WARNING: edited after libmlopt.so was built: $(echo $newer)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mlopt-bundle.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
TOP=$STAGE/mlopt-gpu
mkdir -p "$TOP/lib/fallback" "$TOP/bin"

roots=("$LIBMLOPT")
[[ -x $UNITTESTS ]] && roots+=("$UNITTESTS")

# Where this machine's loader finds each library the roots need (transitively).
declare -A where=()
while read -r name arrow path _; do
  [[ $arrow == "=>" && -e $path ]] && where[$name]=$path
done < <(for r in "${roots[@]}"; do ldd "$r"; done)
where[libmlopt.so]=$LIBMLOPT

# Walk the NEEDED graph: stubbed and core libraries end the walk, so nothing
# only a stubbed library needs (ICU for libxml2) is carried.
declare -A carried=() stubbed=()
queue=("${roots[@]}")
while ((${#queue[@]})); do
  obj=${queue[0]}
  queue=("${queue[@]:1}")
  for name in $(needed "$obj"); do
    is_system_core "$name" && continue
    if is_stubbed "$name"; then stubbed[$name]=1; continue; fi
    [[ -n ${carried[$name]:-} ]] && continue
    path=${where[$name]:-}
    [[ -n $path ]] || { echo "bundle.sh: $obj needs $name, which ldd does not find" >&2; exit 1; }
    carried[$name]=$path
    queue+=("$path")
  done
done
carried[libmlopt.so]=$LIBMLOPT

manifest=$TOP/MANIFEST.txt
{
  echo "mlopt GPU bundle (tools/gpu-check/bundle.sh; docs/gpu.md)"
  echo "created: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n), $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "sources-sha256: $(bash "$REPO/tools/gpu-check/gpu-check" --sources-hash)"
  echo "build: $BUILD"
  echo
  echo "file | bytes | sha256 (first 16) | from"
} > "$manifest"

add() { # add DEST_REL SOURCE NOTE
  local out=$TOP/$1
  strip --strip-unneeded -o "$out" "$2"
  echo "$1 | $(stat -c %s "$out") | $(sha256sum "$out" | cut -c1-16) | ${3:-$(readlink -f "$2")}" >> "$manifest"
}

for name in $(printf '%s\n' "${!carried[@]}" | LC_ALL=C sort); do
  if is_primary "$name"; then add "lib/$name" "${carried[$name]}"
  else add "lib/fallback/$name" "${carried[$name]}"; fi
done
[[ -x $UNITTESTS ]] && add bin/mlopt-unittests "$UNITTESTS"

# Stubs: every symbol a carried object imports from the real library, under
# the symbol version it asks for (so the loader has nothing to warn about).
for name in $(printf '%s\n' "${!stubbed[@]}" | LC_ALL=C sort); do
  real=${where[$name]:-}
  [[ -n $real ]] || { echo "bundle.sh: cannot find $name to stub it" >&2; exit 1; }
  src=$STAGE/stub-${name%%.so*}.c
  objdump -T "$real" | awk '$0 ~ /\.(text|data|bss|rodata)/ { print $NF }' | sort -u > "$STAGE/defined"
  # kind version symbol, "-" for no version
  for obj in "${carried[@]}"; do objdump -T "$obj"; done |
    awk '/\*UND\*/ { kind = ($2 == "DO" || $3 == "DO") ? "data" : "func"
                     version = ($(NF-1) ~ /^\(.*\)$/) ? substr($(NF-1), 2, length($(NF-1)) - 2) : "-"
                     print kind, version, $NF }' | sort -u |
    while read -r kind version sym; do
      if grep -qxF "$sym" "$STAGE/defined"; then echo "$kind $version $sym"; fi
    done > "$STAGE/imports"
  {
    echo "// Stub of $name for the mlopt GPU bundle (tools/gpu-check/bundle.sh)."
    echo '#include <stdio.h>'
    echo '#include <stdlib.h>'
    echo "static void fail(const char *s) { fprintf(stderr, \"mlopt GPU bundle: $name is a stub (%s called)\\n\", s); abort(); }"
    awk '$1 == "data" { print "void *" $3 "[4];" }
         $1 == "func" { print "void " $3 "(void) { fail(\"" $3 "\"); }" }' "$STAGE/imports"
  } > "$src"
  ldflags=("-Wl,-soname,$name")
  if awk '$2 != "-" { found = 1 } END { exit !found }' "$STAGE/imports"; then
    awk '$2 != "-" { syms[$2] = syms[$2] " " $3 ";" } $2 == "-" { plain = plain " " $3 ";" }
         END { for (v in syms) { print v " { global:" syms[v] plain " };"; plain = "" } }' \
      "$STAGE/imports" > "$STAGE/versions.map"
    ldflags+=("-Wl,--version-script=$STAGE/versions.map")
  fi
  cc -shared -fPIC -O1 -w "${ldflags[@]}" -o "$TOP/lib/fallback/$name" "$src"
  echo "lib/fallback/$name | $(stat -c %s "$TOP/lib/fallback/$name") | $(sha256sum "$TOP/lib/fallback/$name" | cut -c1-16) | stub of $(readlink -f "$real") ($(wc -l < "$STAGE/imports") symbols)" >> "$manifest"
done

echo "== $(basename "$ARCHIVE") contents (stripped, uncompressed):"
sed -n '/^file |/,$p' "$manifest" | awk -F' [|] ' 'NR > 1 { printf "  %-32s %8.2f MiB  %s\n", $1, $2 / 1048576, $4; total += $2 }
  END { printf "  %-32s %8.2f MiB\n", "total", total / 1048576 }'

mkdir -p "$DEST"
# The x86 BCJ filter shrinks machine code by ~6% more than plain LZMA2;
# tar -xJf and Python's lzma both read it.
echo "== compressing (xz --x86 --lzma2=preset=9 -T$XZ_THREADS; a minute or two)"
SECONDS=0
tar -C "$STAGE" --owner=0 --group=0 --sort=name -cf - mlopt-gpu |
  xz --x86 --lzma2=preset=9 -T"$XZ_THREADS" > "$ARCHIVE.tmp"
mv "$ARCHIVE.tmp" "$ARCHIVE"
bytes=$(stat -c %s "$ARCHIVE")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "== $ARCHIVE: $mib MiB (limit $LIMIT_MIB MiB), compressed in ${SECONDS}s"
if ((bytes > LIMIT_MIB * 1048576)); then
  echo "bundle.sh: the archive is over $LIMIT_MIB MiB: it would not travel with the tree" >&2
  exit 1
fi
