#!/usr/bin/env bash
# The software WebGPU stack Kiln's WebGPU tests run on, for a Debian bookworm machine without a GPU:
#   - Mesa's lavapipe Vulkan driver, which Dawn (the `webgpu` npm package) runs on. Bookworm's own
#     Mesa 22 is too old for Dawn, so Mesa 25 comes from bookworm-backports.
#   - Debian's chromium, whose SwiftShader adapter the browser tests use (--enable-unsafe-webgpu).
# Needs root (or sudo). Safe to run again: what is installed already is left as it is.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-webgpu: run as root (no sudo here)" >&2; exit 1; }
  exec sudo -E bash "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive

mesa_version() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true; }
need_mesa=1
case "$(mesa_version)" in 2[4-9].* | [3-9][0-9].*) need_mesa=0 ;; esac
need_chromium=1
command -v chromium >/dev/null && need_chromium=0

if [ "$need_mesa" = 0 ] && [ "$need_chromium" = 0 ]; then
  echo "setup-webgpu: mesa-vulkan-drivers $(mesa_version) and $(chromium --version 2>/dev/null | head -n1) already installed"
  exit 0
fi

if [ "$need_mesa" = 1 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # The backports suite, from the mirror apt already uses (deb822 sources first, then the one-line form).
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | awk '{print $2}' | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list | grep -v security | awk '{print $2}' | head -n1 || true)
  [ -n "$mirror" ] || { echo "setup-webgpu: no Debian mirror in apt's sources to take bookworm-backports from" >&2; exit 1; }
  echo "deb $mirror bookworm-backports main" > /etc/apt/sources.list.d/kiln-bookworm-backports.list
fi

apt-get update -qq
if [ "$need_mesa" = 1 ]; then
  apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers >/dev/null
fi
if [ "$need_chromium" = 1 ]; then
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
echo "setup-webgpu: mesa-vulkan-drivers $(mesa_version), $(chromium --version 2>/dev/null | head -n1)"
