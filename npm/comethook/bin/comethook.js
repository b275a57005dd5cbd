#!/usr/bin/env node
// comethook's npm shim: starts the comethook binary of this platform's package
// (@comethook/cli-<os>-<cpu>, an optional dependency npm installs only where it runs) and
// passes everything through: arguments, stdin/stdout/stderr, signals and the exit status.
"use strict";

const { spawn } = require("child_process");
const { constants } = require("os");
const path = require("path");
const tty = require("tty");

const platforms = {
  "linux-x64": "@comethook/cli-linux-x64",
  "linux-arm64": "@comethook/cli-linux-arm64",
  "darwin-x64": "@comethook/cli-darwin-x64",
  "darwin-arm64": "@comethook/cli-darwin-arm64",
  "win32-x64": "@comethook/cli-win32-x64",
  "win32-arm64": "@comethook/cli-win32-arm64",
};

function binaryPath() {
  const key = `${process.platform}-${process.arch}`;
  const pkg = platforms[key];
  if (!pkg) {
    fail(`comethook has no build for ${key}. Builds: ${Object.keys(platforms).join(", ")}; or: go install github.com/comethook/comethook@latest`);
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    fail(`the package ${pkg}, which carries comethook's binary for ${key}, is not installed. ` +
      `It is an optional dependency: reinstall without --omit=optional / --no-optional; a package-lock.json ` +
      `made on another system can leave it out too (remove node_modules and package-lock.json, then npm install).`);
  }
  return path.join(dir, "bin", process.platform === "win32" ? "comethook.exe" : "comethook");
}

function fail(msg) {
  process.stderr.write(`comethook: ${msg}\n`);
  process.exit(1);
}

// Who delivers Ctrl-C. With a terminal on stdin, comethook shares this process's group and
// gets the terminal's SIGINT itself: passing one on would be a second Ctrl-C, which stops
// listen at once. Without one (a pipeline, a process manager, a tool running several
// commands), comethook gets a process group of its own, so that a signal reaches it once:
// from here. tty.isatty, not process.stdin.isTTY: the latter opens the descriptors and makes
// the pipes comethook shares non-blocking. Windows has no process groups or POSIX signals:
// the console's Ctrl-C reaches every process attached to it.
const windows = process.platform === "win32";
const terminal = tty.isatty(0);
const child = spawn(binaryPath(), process.argv.slice(2), {
  stdio: "inherit",
  detached: !windows && !terminal,
});

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (windows || (sig === "SIGINT" && terminal)) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}

child.on("error", (err) => fail(`cannot start ${child.spawnfile}: ${err.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so that the caller sees what comethook saw; where that does
    // not end this process (a signal Node ignores, or Windows), exit as a shell would.
    process.removeAllListeners(signal);
    try {
      process.kill(process.pid, signal);
    } catch {}
    setTimeout(() => process.exit(128 + (constants.signals[signal] || 0)), 100);
    return;
  }
  process.exit(code);
});
