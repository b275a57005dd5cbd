#!/usr/bin/env node
// Builds comethook's npm packages from a goreleaser dist directory and packs them:
//
//   node scripts/npm/build.mjs [dist] [out]      (defaults: dist, dist/npm)
//
// One package per platform, @comethook/cli-<os>-<cpu>, carrying that binary (os and cpu
// fields, so npm installs only the one that runs here), and the main package, comethook,
// which depends on all of them as optional dependencies and starts the right one
// (npm/comethook/bin/comethook.js). Nothing is downloaded at install time. The tarballs land
// in out/; the release workflow publishes them, the platforms first.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const dist = resolve(process.argv[2] ?? join(root, "dist"));
const out = resolve(process.argv[3] ?? join(dist, "npm"));

const metadata = JSON.parse(readFileSync(join(dist, "metadata.json"), "utf8"));
const version = metadata.version;
const artifacts = JSON.parse(readFileSync(join(dist, "artifacts.json"), "utf8"));
const os = { linux: "linux", darwin: "darwin", windows: "win32" };
const cpu = { amd64: "x64", arm64: "arm64" };
// Every platform the main package knows; a snapshot may have built only some of them.
const all = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"];

const common = {
  version,
  license: "MIT",
  homepage: "https://github.com/comethook/comethook",
  repository: { type: "git", url: "git+https://github.com/comethook/comethook.git" },
  bugs: "https://github.com/comethook/comethook/issues",
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

function pack(dir) {
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], { cwd: dir, encoding: "utf8" }).trim();
  return join(out, name.split("\n").pop());
}

const built = [];
for (const a of artifacts) {
  if (a.type !== "Binary" || !os[a.goos] || !cpu[a.goarch]) continue;
  const plat = `${os[a.goos]}-${cpu[a.goarch]}`;
  const dir = join(out, "src", `cli-${plat}`);
  const exe = a.goos === "windows" ? "comethook.exe" : "comethook";
  mkdirSync(join(dir, "bin"), { recursive: true });
  // goreleaser's paths are relative to the directory that holds dist (the project's).
  copyFileSync(resolve(dirname(dist), a.path), join(dir, "bin", exe));
  copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  chmodSync(join(dir, "bin", exe), 0o755);
  writeFileSync(join(dir, "package.json"), JSON.stringify({
    name: `@comethook/cli-${plat}`,
    ...common,
    description: `comethook's binary for ${plat}: install comethook instead, which picks it`,
    os: [os[a.goos]],
    cpu: [cpu[a.goarch]],
    files: ["bin", "LICENSE"],
    preferUnplugged: true,
  }, null, 2) + "\n");
  writeFileSync(join(dir, "README.md"), `# @comethook/cli-${plat}\n\nThe comethook binary for ${plat}. Install [comethook](https://www.npmjs.com/package/comethook) instead: \`npm install -g comethook\` or \`npx comethook\`.\n`);
  built.push({ plat, tarball: pack(dir) });
}
if (built.length === 0) {
  console.error(`no comethook binaries in ${dist}/artifacts.json: run goreleaser build first`);
  process.exit(1);
}

const main = join(out, "src", "comethook");
mkdirSync(join(main, "bin"), { recursive: true });
copyFileSync(join(root, "npm/comethook/bin/comethook.js"), join(main, "bin", "comethook.js"));
chmodSync(join(main, "bin", "comethook.js"), 0o755);
copyFileSync(join(root, "README.md"), join(main, "README.md"));
copyFileSync(join(root, "LICENSE"), join(main, "LICENSE"));
writeFileSync(join(main, "package.json"), JSON.stringify({
  name: "comethook",
  ...common,
  description: "The local development tool for CometChat webhooks: receive them through ngrok, inspect, answer, forward and replay them, and play CometChat against any endpoint",
  keywords: ["cometchat", "webhooks", "ngrok", "cli", "chat"],
  bin: { comethook: "bin/comethook.js" },
  files: ["bin", "README.md", "LICENSE"],
  engines: { node: ">=16" },
  optionalDependencies: Object.fromEntries(all.map((p) => [`@comethook/cli-${p}`, version])),
}, null, 2) + "\n");
const mainTarball = pack(main);

for (const b of built) console.log(b.tarball);
console.log(mainTarball);
