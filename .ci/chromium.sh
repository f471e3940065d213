#!/usr/bin/env bash
# Installs Debian's Chromium (the web console's browser test drives it with Playwright) when it
# is missing, and prints its path for KAFKAINGESTION_TEST_CHROMIUM. Exits non-zero if it cannot.
# Runs as root (CI) or with passwordless sudo.
set -uo pipefail

path=$(command -v chromium 2>/dev/null)
if [ -z "$path" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >/dev/null 2>&1 || exit 1
  path=$(command -v chromium 2>/dev/null) || exit 1
fi

# A browser that cannot start would only fail the test later, with less to go on.
"$path" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 || exit 1
echo "$path"
