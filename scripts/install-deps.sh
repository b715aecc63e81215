#!/usr/bin/env bash
# System packages that building genmetrics needs on Debian/Ubuntu: a C++17 compiler, CMake,
# Eigen 3.4 (headers only), Python 3 (node-gyp), Chromium (browser tests) and redis-server (scale-out tests). Installs only what is missing; uses sudo when not root.
set -euo pipefail
need=()
dpkg -s libeigen3-dev >/dev/null 2>&1 || need+=(libeigen3-dev)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
# node-gyp's Python, for better-sqlite3 when its prebuilt binary cannot be downloaded.
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The browser tests (playwright-core drives Debian's chromium; no browser download).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The scale-out tests and bench start their own Redis (serve --redis, genmetrics worker).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
