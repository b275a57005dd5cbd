#!/usr/bin/env node
// comethook's npm shim: starts the comethook binary of this platform's package
// (@comethook/cli-<os>-<cpu>, an optional dependency npm installs only where it runs) and
// passes everything through: arguments, stdin/stdout/stderr, signals and the exit status.
"use strict";

const { spawn } = require("child_process");
const path = require("path");

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
      `It is an optional dependency: reinstall without --omit=optional / --no-optional (npm install -g comethook).`);
  }
  return path.join(dir, "bin", process.platform === "win32" ? "comethook.exe" : "comethook");
}

function fail(msg) {
  process.stderr.write(`comethook: ${msg}\n`);
  process.exit(1);
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit", windowsHide: false });

// A terminal's Ctrl-C reaches the whole foreground process group: comethook gets its own
// SIGINT, and a second one from here would be its "second Ctrl-C" (stop at once). So SIGINT
// is passed on only when no terminal is attached (a script, a process manager sent it to this
// process alone). SIGTERM and SIGHUP are sent to one process: always passed on.
const onTerminal = process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (sig === "SIGINT" && onTerminal) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}

child.on("error", (err) => fail(`cannot start ${child.spawnfile}: ${err.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so that the caller sees what comethook saw.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code);
});
