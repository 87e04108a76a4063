/**
 * Progress on stderr through one small interface, so that training, evaluation and sweeps never care
 * whether a person watches a terminal (a redrawn bar, cli-progress) or a log file collects the output
 * (plain lines, at most one every ~2 s).
 * @module
 */
import process from "node:process";
import cliProgress from "cli-progress";

/** Where progress goes: the trainer and evaluator call these, the CLI picks the implementation. */
export interface Reporter {
  /** Begins a task of `total` steps, e.g. `start("epoch 3/20", 500)`: a bar on a terminal. */
  start(label: string, total: number): void;
  /**
   * Reports `done` of `total` steps and current figures, e.g. `{ loss: 0.41, acc: 0.82 }`. Fields named
   * `acc`, `*_acc` or `accuracy` are fractions shown as percentages; other numbers get 4 significant digits.
   */
  update(done: number, fields: Record<string, number | string>): void;
  /** Ends the task: removes the bar and prints `summaryLine` (or "<label>: done in N s"). */
  stop(summaryLine?: string): void;
  /** Prints a line without breaking a bar that is being drawn. */
  log(line: string): void;
}

/** Options of {@link createReporter}. */
export interface ReporterOptions {
  /** Draw a redrawn bar (true) or write plain lines (false); default `Deno.stderr.isTerminal()`. */
  tty?: boolean;
  /** Print nothing at all (no bar, no lines, no summaries). */
  quiet?: boolean;
  /** Receives the text instead of stderr (tests); in tty mode it gets the bar's escape sequences too. */
  write?: (text: string) => void;
  /** Plain-line mode: least time between two progress lines in ms, default 2000. */
  intervalMs?: number;
  /** Plain-line mode: the clock in ms, default `performance.now` (tests pass their own, so that no figure depends on how fast the machine is). */
  now?: () => number;
}

/**
 * A reporter for stderr (or `opts.write`).
 * @param opts terminal or plain lines, quiet, writer, line interval
 * @returns the reporter
 * @example
 * ```ts
 * const r = createReporter({ tty: false, write: (s) => lines.push(s) });
 * r.start("epoch 1/2", 100);
 * r.update(50, { loss: 0.5, acc: 0.75 }); // "epoch 1/2: 50/100 (50%) loss 0.5 acc 75.00% | 1 s, eta 1 s"
 * r.stop("epoch 1/2: loss 0.4");
 * ```
 */
export function createReporter(opts: ReporterOptions = {}): Reporter {
  if (opts.quiet) return QUIET;
  const write = opts.write ?? writeStderr;
  const tty = opts.tty ?? Deno.stderr.isTerminal();
  return tty
    ? new BarReporter(write, opts.write !== undefined)
    : new LineReporter(write, opts.intervalMs ?? 2000, opts.now ?? (() => performance.now()));
}

/** Says nothing. */
const QUIET: Reporter = Object.freeze({ start() {}, update() {}, stop() {}, log() {} });

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/** Plain lines for logs and pipes: a progress line at most every `intervalMs`, summaries always. */
class LineReporter implements Reporter {
  #label = "";
  #total = 0;
  #started = 0; // ms (this.now) at start
  #lastLine = 0; // ms of the last progress line
  #active = false;

  constructor(
    readonly write: (text: string) => void,
    readonly intervalMs: number,
    readonly now: () => number,
  ) {}

  start(label: string, total: number): void {
    this.#label = label;
    this.#total = total;
    this.#started = this.#lastLine = this.now();
    this.#active = true;
  }

  update(done: number, fields: Record<string, number | string>): void {
    if (!this.#active) return;
    const now = this.now();
    if (now - this.#lastLine < this.intervalMs) return;
    this.#lastLine = now;
    const elapsed = (now - this.#started) / 1000;
    const pct = this.#total > 0 ? ` (${Math.floor((100 * done) / this.#total)}%)` : "";
    const eta = done > 0 && this.#total > done
      ? `, eta ${seconds((elapsed * (this.#total - done)) / done)}`
      : "";
    const figures = formatFields(fields);
    this.write(
      `${this.#label}: ${done}/${this.#total}${pct}${figures ? ` ${figures}` : ""} | ${
        seconds(elapsed)
      }${eta}\n`,
    );
  }

  stop(summaryLine?: string): void {
    const elapsed = (this.now() - this.#started) / 1000;
    const line = summaryLine ?? (this.#active ? `${this.#label}: done in ${seconds(elapsed)}` : undefined);
    this.#active = false;
    if (line !== undefined) this.write(`${line}\n`);
  }

  log(line: string): void {
    this.write(`${line}\n`);
  }
}

/** A cli-progress bar redrawn in place; lines logged meanwhile appear above it. */
class BarReporter implements Reporter {
  #multi: cliProgress.MultiBar | undefined;
  #bar: cliProgress.SingleBar | undefined;
  #label = "";
  #started = 0;
  readonly #stream: NodeJS.WritableStream;

  constructor(readonly write: (text: string) => void, custom: boolean) {
    // A caller's writer stands in for a terminal 100 columns wide; otherwise the real stderr.
    this.#stream = custom
      ? Object.assign(Object.create(process.stderr), {
        isTTY: true,
        columns: 100,
        write: (s: string) => (write(s), true),
      })
      : process.stderr;
  }

  start(label: string, total: number): void {
    if (this.#multi) this.stop();
    this.#label = label;
    this.#started = performance.now();
    this.#multi = new cliProgress.MultiBar({
      stream: this.#stream,
      format:
        "{label} |{bar}| {percentage}% {value}/{total} {fields} | {duration_formatted} eta {eta_formatted}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true, // the summary line replaces the bar
      // The CLI owns Ctrl-C (it saves a checkpoint); cli-progress must not install its own handlers.
      gracefulExit: false,
      etaBuffer: 50,
      fps: 10,
    }, cliProgress.Presets.shades_classic);
    this.#bar = this.#multi.create(total, 0, { label, fields: "" });
    this.#multi.update(); // draw now; later redraws come from cli-progress's timer
  }

  update(done: number, fields: Record<string, number | string>): void {
    this.#bar?.update(done, { label: this.#label, fields: formatFields(fields) });
  }

  stop(summaryLine?: string): void {
    const wasActive = this.#multi !== undefined;
    this.#multi?.stop();
    this.#multi = this.#bar = undefined;
    const elapsed = (performance.now() - this.#started) / 1000;
    const line = summaryLine ?? (wasActive ? `${this.#label}: done in ${seconds(elapsed)}` : undefined);
    if (line !== undefined) this.write(`${line}\n`);
  }

  log(line: string): void {
    if (this.#multi) {
      this.#multi.log(`${line}\n`);
      this.#multi.update(); // flush now: a stop() before the next timer tick would drop the line
    } else this.write(`${line}\n`);
  }
}

/** `{ loss: 0.41234, acc: 0.8 }` -> "loss 0.4123 acc 80.00%". */
function formatFields(fields: Record<string, number | string>): string {
  return Object.entries(fields).map(([k, v]) => `${k} ${formatValue(k, v)}`).join(" ");
}

function formatValue(key: string, v: number | string): string {
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  if (/(^|_)acc(uracy)?$/.test(key)) return `${(100 * v).toFixed(2)}%`;
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}

/** 3.2 -> "3 s", 125 -> "2 min 5 s". */
function seconds(s: number): string {
  const r = Math.round(s);
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${r % 60} s`;
}
