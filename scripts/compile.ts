/**
 * `deno task compile`: builds the standalone binary `dist/multispike` with `deno compile`, embedding the
 * shaders and the CPU engine's worker module.
 *
 * `deno compile` needs the `denort` runtime of this Deno version. It takes it from `DENORT_BIN` when that
 * is set, else downloads it from dl.deno.land; on a machine without internet set `DENORT_BIN` to a denort
 * binary brought from elsewhere (the zip at
 * https://dl.deno.land/release/v<version>/denort-<target>.zip). This script checks that first and says so
 * in one line instead of a download error.
 * @module
 */
const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    if (!Deno.statSync(denort).isFile) throw new Error("not a file");
  } catch {
    console.error(`multispike compile: error: DENORT_BIN=${denort} is not a readable file`);
    Deno.exit(2);
  }
}
const args = [
  "compile",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--include",
  "shaders",
  "--include",
  "src/engine/cpu/worker.ts",
  "--output",
  "dist/multispike",
  "main.ts",
];
const { code } = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "inherit" })
  .output();
if (code !== 0) {
  const where = denort
    ? `with DENORT_BIN=${denort} (is it the denort of Deno ${Deno.version.deno} for ${Deno.build.target}?)`
    : `without DENORT_BIN: deno compile downloads denort-${Deno.build.target}.zip for Deno ${Deno.version.deno} ` +
      `from dl.deno.land; offline, set DENORT_BIN to that denort binary`;
  console.error(`multispike compile: error: deno compile failed ${where}`);
  Deno.exit(2);
}
console.log("built dist/multispike");
