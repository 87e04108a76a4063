/**
 * Running main.ts as a subprocess, as a user does, and checking the one-line errors of the command line;
 * shared by the CLI test files.
 * @module
 */
import assert from "node:assert/strict";

export { exists } from "../src/train/files.ts";

/** Path of main.ts. */
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The subprocess tests need --allow-run (`deno task test` grants it); without it they are reported as ignored. */
export const CAN_RUN = (await Deno.permissions.query({ name: "run" })).state === "granted";

/** Exit code and output of one command line. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `main.ts args...` with all permissions and no colours, stderr piped; spawn it to signal it while it runs. */
export function cliCommand(args: readonly string[], stdout: "piped" | "null" = "piped"): Deno.Command {
  return scriptCommand(MAIN, args, stdout);
}

/** `deno run -A file args...`, as `cliCommand` runs main.ts (a script of scripts/, say). */
export function scriptCommand(
  file: string,
  args: readonly string[],
  stdout: "piped" | "null" = "piped",
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", file, ...args],
    stdout,
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** Runs `main.ts args...` to the end (see cliCommand). */
export async function cli(...args: string[]): Promise<Run> {
  return await runScript(MAIN, ...args);
}

/** Runs `deno run -A file args...` to the end (see scriptCommand). */
export async function runScript(file: string, ...args: string[]): Promise<Run> {
  const out = await scriptCommand(file, args).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Exit 2 and exactly one line on stderr, `multispike: error: ...` matching `pattern`. */
export function assertUserError(r: Run, pattern: RegExp) {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^multispike: error: /);
  assert.match(lines[0], pattern);
}
