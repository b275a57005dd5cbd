#!/usr/bin/env bash
# Writes shell completion scripts into completions/ for release archives and the Homebrew
# cask (goreleaser runs it before building).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf completions
mkdir -p completions
for sh in bash zsh fish; do
  go run . completion "$sh" > "completions/comethook.$sh"
done
