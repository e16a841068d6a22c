#!/usr/bin/env bash
# The browser test's one system package: Debian's chromium (playwright-core drives it; nothing
# downloads a browser). Skips the install when /usr/bin/chromium is already there.
set -euo pipefail
if ! [ -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
/usr/bin/chromium --version
