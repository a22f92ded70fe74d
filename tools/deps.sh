# Shared by tools/test, tools/demo and tools/bench: install what is missing, then build.
# Sourced, not run. Idempotent, non-interactive, and quiet when everything is present.

SKYCLASS_DEBS=(
  build-essential cmake ninja-build pkg-config git
  libavformat-dev libavcodec-dev libavutil-dev libavfilter-dev libswscale-dev libswresample-dev
  libsrt-openssl-dev libboost-program-options-dev libfmt-dev nlohmann-json3-dev libpugixml-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang
  ffmpeg mediainfo srt-tools xmltv-util fonts-noto-cjk time dvbpsi-utils tstools
)

skyclass_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

skyclass_install_deps() {
  local missing=()
  local pkg
  for pkg in "${SKYCLASS_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# skyclass_build DIR [TARGET...]: configure once (RelWithDebInfo), then build the targets
# (all when none are named) incrementally.
skyclass_build() {
  local dir=$1; shift
  local root; root=$(skyclass_root)
  if [ ! -f "$root/$dir/build.ninja" ]; then
    cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  if [ $# -gt 0 ]; then
    cmake --build "$root/$dir" -j "$(nproc)" --target "$@"
  else
    cmake --build "$root/$dir" -j "$(nproc)"
  fi
}
