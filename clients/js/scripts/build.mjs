// Builds @gatehouse/client: dist/esm (ES modules + .d.ts), dist/cjs (CommonJS + .d.ts), and one browser bundle of the
// main entry (dist/browser/gatehouse-client.js: a plain ES module without imports) that the demo uses.
//
//   node scripts/build.mjs               build dist/
//   node scripts/build.mjs --demo        build dist/ and copy the bundle to demo/lib/ (commit it: the demo runs without Node)
//   node scripts/build.mjs --check-demo  fail if demo/lib/gatehouse-client.js differs from a fresh bundle of src/
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const demoCopy = join(root, "..", "..", "demo", "lib", "gatehouse-client.js");
const args = new Set(process.argv.slice(2));

async function bundle() {
  const result = await esbuild.build({
    entryPoints: [join(root, "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    write: false,
    legalComments: "none",
    banner: {
      js: "// @gatehouse/client, bundled from clients/js/src by `npm run build:demo`. Do not edit: change clients/js and rebuild.",
    },
  });
  return result.outputFiles[0].text;
}

if (args.has("--check-demo")) {
  const fresh = await bundle();
  const committed = existsSync(demoCopy) ? readFileSync(demoCopy, "utf8") : null;
  if (committed !== fresh) {
    console.error(
      `${relative(process.cwd(), demoCopy)} is ${committed === null ? "missing" : "out of date"}: ` +
        "it must equal a fresh bundle of clients/js/src. Run `npm run build:demo` in clients/js and commit the result.",
    );
    process.exit(1);
  }
  console.log("demo/lib/gatehouse-client.js equals a fresh build of clients/js");
  process.exit(0);
}

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(join(root, "dist"), { recursive: true, force: true });
for (const project of ["tsconfig.esm.json", "tsconfig.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", join(root, project)], { stdio: "inherit" });
}
// The package is "type": "module"; this folder's .js (and .d.ts) files are CommonJS.
writeFileSync(join(root, "dist", "cjs", "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
// Both builds load through the package's own "exports" (as a user's import or require would) with the same names.
const require = createRequire(import.meta.url);
for (const entry of ["@gatehouse/client", "@gatehouse/client/axios", "@gatehouse/client/react"]) {
  const esm = Object.keys(await import(entry)).filter((k) => k !== "default").sort();
  const cjs = Object.keys(require(entry)).sort();
  if (esm.length === 0 || esm.join() !== cjs.join()) {
    console.error(`${entry}: the ESM build exports [${esm}] but the CommonJS build [${cjs}]`);
    process.exit(1);
  }
}
const browser = await bundle();
mkdirSync(join(root, "dist", "browser"), { recursive: true });
writeFileSync(join(root, "dist", "browser", "gatehouse-client.js"), browser);
if (args.has("--demo")) {
  mkdirSync(dirname(demoCopy), { recursive: true });
  writeFileSync(demoCopy, browser);
  console.log(`wrote ${relative(process.cwd(), demoCopy)}`);
}
console.log("built dist/esm, dist/cjs, dist/browser");
