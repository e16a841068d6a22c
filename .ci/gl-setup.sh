#!/usr/bin/env bash
# Installs what the headless-GL path of the gpu backend needs on a fresh Debian/Ubuntu machine,
# then builds the `gl` npm package (headless WebGL through ANGLE and Mesa) into node_modules.
#
# Why `npm install --no-save` and not an optionalDependency: `npm ci` must stay reproducible and
# quick for every job. As an optionalDependency, `gl` would sit in package-lock.json and every
# `npm ci` would try its ~3-minute native build (and fail silently, exit 0, where the X11 headers
# are missing). Here only the GL job pays for it, with an exact pinned version.
#
# Usage (as root, after `npm ci`):   .ci/gl-setup.sh
# Then:   TSGRAD_TEST_GL=1 xvfb-run -a npx jest tests/gpu.test.ts
set -euo pipefail

GL_VERSION=8.1.6
cd "$(dirname "$0")/.."

echo "gl-setup: installing build tools, X11/GL headers, Mesa and Xvfb (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# build time: a C++ toolchain, python3 for node-gyp, pkg-config + X11/Xext/Xi/GLX headers for ANGLE;
# run time: Mesa's software GL driver (llvmpipe) and a virtual X display.
apt-get install -y --no-install-recommends \
  build-essential python3 pkg-config \
  libx11-dev libxext-dev libxi-dev libglx-dev \
  libgl1 libglx-mesa0 libgl1-mesa-dri \
  xvfb xauth

echo "gl-setup: building gl@${GL_VERSION} (no prebuilt binary is assumed; the source build takes ~3 min on 2 cores)"
start=$(date +%s)
npm install --no-save --foreground-scripts "gl@${GL_VERSION}"
echo "gl-setup: gl built in $(( $(date +%s) - start )) s"

echo "gl-setup: checking that a GL context opens under Xvfb"
xvfb-run -a node -e "
  const ctx = require('gl')(2, 2);
  if (!ctx) { console.error('gl-setup: require(\"gl\")(2, 2) returned null under Xvfb'); process.exit(1); }
  console.log('gl-setup: OK,', ctx.getParameter(ctx.VERSION), '/', ctx.getParameter(ctx.RENDERER));
"
