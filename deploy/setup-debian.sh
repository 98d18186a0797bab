#!/usr/bin/env bash
# Installs what newsflow needs to build, test and run on Debian 12, and nothing that is
# already there. Safe to run again: with everything present it only checks and exits.
#
#   deploy/setup-debian.sh          build + run dependencies
#   deploy/setup-debian.sh --test   also what the test suite needs (Java, Maven, kcat, clang
#                                   and libFuzzer, ...)
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(gcc make cmake pkg-config librdkafka-dev libevent-dev libcjson-dev libhyperscan-dev
      zlib1g-dev libssl-dev ca-certificates)
if [ "$want_test" = 1 ]; then
    pkgs+=(kcat openjdk-17-jre-headless maven clang-format python3 python3-jsonschema valgrind
           clang libclang-rt-14-dev python3-matplotlib)
    pkgs+=(python3-yaml) # tests/deploy/check_manifests.py
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A JDK from elsewhere (e.g. Temurin) satisfies the Java requirement too.
if [ "$want_test" = 1 ] && command -v java >/dev/null 2>&1 &&
    java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
    missing=("${missing[@]/openjdk-17-jre-headless/}")
fi
if [ "$want_test" = 1 ] && command -v mvn >/dev/null 2>&1; then
    missing=("${missing[@]/maven/}")
fi
read -r -a missing <<<"${missing[*]}"

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: all dependencies present"
    exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
