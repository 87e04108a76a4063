/**
 * multispike: the command line. This file declares the commands and their options; each action calls a
 * library function (src/cli/, src/train/) that tests call too. Exit codes: 0 done, 2 user error (one line
 * on stderr), 130 interrupted; anything else is a bug and crashes with its stack.
 *
 * Actions import their modules on demand so that `--help`, `simulate` and `info` do not pay for loading
 * the trainer, the datasets and the plotting libraries.
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import meta from "./deno.json" with { type: "json" };
import { DATASET_NAMES } from "./src/data/dataset.ts";
import {
  parseLabels,
  parseNonNegativeInt,
  parseNonNegativeIntList,
  parsePositive,
  parsePositiveInt,
  parsePositiveIntList,
  parsePositiveList,
  parseShard,
} from "./src/cli/parsers.ts";
import {
  dataDirOption,
  DEVICES,
  hiddenOption,
  limitTestOption,
  quietOption,
  trainingOptions as T,
  workersOption,
} from "./src/cli/options.ts";
import { trainDefaultsHelp } from "./src/cli/help_text.ts";
import { DEFAULT_LOG_EVERY } from "./src/train/config.ts";
import { configureForCli, runCli } from "./src/cli/run.ts";

const TAU_MODES = ["tied", "ratio", "m", "s"] as const;

/** The program with all its commands, ready for `runCli`. */
export function buildProgram() {
  const program = new Command()
    .name("multispike")
    .description("Train multi-spike spiking neural networks with exact spike-timing gradients.")
    .version(meta.version)
    .addHelpText(
      "after",
      "\nExit codes: 0 done, 2 bad usage or bad file, 130 interrupted (train/sweep keep their checkpoint).",
    );

  program.command("simulate")
    .description("Run one input sample through a model; write spike times (and gradients for a label).")
    .requiredOption("--model <file>", "model file (format: README, File formats)")
    .addOption(
      new Option("--input <file>", "input spikes, JSON [[neuron, time], ...] in any order").conflicts(
        "sample",
      ),
    )
    .option(
      "--sample <n>",
      "instead of --input: test sample N of --dataset, encoded as eval does",
      parseNonNegativeInt,
    )
    .addOption(
      new Option("--dataset <name>", "dataset of --sample").choices(DATASET_NAMES).default("mnist" as const),
    )
    .addOption(dataDirOption())
    .requiredOption("--out <file>", 'output spikes, JSON {"layers": [[[t, ...] per neuron] per layer]}')
    .option(
      "--label <class>",
      "class label: report the model's loss for it (default with --sample: the sample's label)",
      parseNonNegativeInt,
    )
    .option("--grad <file>", "write the gradients of the loss for the label to this JSON file")
    .option("--raster <file>", "draw the spikes of every layer as a raster plot (PNG for *.png, else SVG)")
    .addOption(
      new Option("--device <device>", "engine").choices(["cpu", "gpu"] as const).default("cpu" as const),
    )
    .action(async (opts) => {
      const { simulate, formatSimulateSummary } = await import("./src/cli/simulate.ts");
      console.log(formatSimulateSummary(await simulate(opts)));
    });

  program.command("train")
    .description(
      "Train a network on a dataset; write metrics.csv, summary.json, model.json and plots to --out.",
    )
    .addOption(new Option("--dataset <name>", "dataset").choices(DATASET_NAMES).default("mnist" as const))
    .addOption(dataDirOption())
    .requiredOption("--out <dir>", "output directory (created; a checkpoint is written there every epoch)")
    .addOption(hiddenOption())
    .addOption(T.epochs())
    .addOption(T.batchSize())
    .addOption(T.lr())
    .addOption(T.lrDecay())
    .addOption(T.lrWarmup())
    .addOption(T.weightDecay())
    .addOption(T.dropout())
    .addOption(T.augmentShift())
    .addOption(T.augmentFlip())
    .addOption(T.noAugmentFlip())
    .addOption(
      new Option("--tau <T>", "tau_m = tau_s = T").argParser(parsePositive).conflicts(["tauM", "tauS"]),
    )
    .option("--tau-m <T>", "membrane time constant", parsePositive)
    .option("--tau-s <T>", "synaptic time constant", parsePositive)
    .addOption(T.theta())
    .option("--max-spikes <k>", "spikes per neuron at most (1 = single-spike TTFS)", parsePositiveInt)
    .option("--t-max <T>", "end of the time window", parsePositive)
    .addOption(T.tIn())
    .addOption(T.loss())
    .addOption(T.tau0())
    .addOption(T.vmaxWeight())
    .addOption(T.hiddenVmaxWeight())
    .addOption(T.tRefWeight())
    .addOption(T.tRef())
    .addOption(T.labelSmoothing())
    .option("--seed <s>", "random seed (same seed, same engine: same result)", parseNonNegativeInt)
    .addOption(new Option("--device <device>", "auto: a hardware GPU if any, else the CPU").choices(DEVICES))
    .addOption(workersOption())
    .addOption(T.limitTrain())
    .addOption(T.validationSize())
    .addOption(limitTestOption())
    .addOption(T.averageLast())
    .option("--resume", "continue from the checkpoint in --out")
    .option(
      "--log-every <steps>",
      `one row of steps.csv per this many steps: loss, accuracy and spikes inside an epoch (0 = no steps.csv; default ${DEFAULT_LOG_EVERY})`,
      parseNonNegativeInt,
    )
    .addOption(quietOption())
    .addHelpText("after", trainDefaultsHelp)
    .action(async (opts) => {
      const { trainCommand } = await import("./src/cli/train_command.ts");
      Deno.exitCode = await trainCommand(opts, Deno.args);
    });

  program.command("eval")
    .description(
      "Evaluate a model file on a dataset's test split: accuracy, confusion, spikes, decision time.",
    )
    .requiredOption("--model <file>", "model file")
    .addOption(new Option("--dataset <name>", "dataset").choices(DATASET_NAMES).default("mnist" as const))
    .addOption(dataDirOption())
    .addOption(new Option("--device <device>", "engine").choices(DEVICES).default("auto" as const))
    .option("--out <dir>", "write eval.json and CSV files here")
    .option("--timing", "also measure when each layer's spikes come relative to the decision (one more pass)")
    .addOption(limitTestOption())
    .addOption(workersOption())
    .addOption(quietOption())
    .action(async (opts) => {
      const { evalCommand } = await import("./src/cli/eval_command.ts");
      await evalCommand(opts);
    });

  program.command("sweep")
    .description(
      "Train over a grid of time constants, spike caps (learning rates) and seeds; or merge shards with --merge.",
    )
    .option("--preset <name>", "a named grid: yinyang-tau or mnist-tau; options given override it")
    .addOption(
      new Option("--dataset <name>", "dataset (default: the preset's, else mnist)").choices(DATASET_NAMES),
    )
    .addOption(dataDirOption())
    .option("--taus <list>", "time constants, e.g. 1,2,5,10,20", parsePositiveList)
    .addOption(
      new Option(
        "--tau-mode <mode>",
        "tied: tau_m = tau_s = tau; ratio: tau_m = tau, tau_s = tau / --ratio; m or s: vary one",
      )
        .choices(TAU_MODES),
    )
    .option("--ratio <r>", "tau_m / tau_s in --tau-mode ratio (default 2)", parsePositive)
    .option("--tau-m <T>", "the fixed tau_m in --tau-mode s", parsePositive)
    .option("--tau-s <T>", "the fixed tau_s in --tau-mode m", parsePositive)
    .option("--max-spikes <list>", "spike caps, e.g. 1,8 (default 1,8)", parsePositiveIntList)
    .option(
      "--lrs <list>",
      "learning rates to sweep, e.g. 0.001,0.003 (instead of --lr); each tau's best on validation is reported",
      parsePositiveList,
    )
    .option("--seeds <list>", "seeds, e.g. 0,1,2 (default 0)", parseNonNegativeIntList)
    .addOption(hiddenOption())
    .addOption(T.epochs())
    .addOption(T.batchSize())
    .addOption(T.lr())
    .addOption(T.lrDecay())
    .addOption(T.lrWarmup())
    .addOption(T.weightDecay())
    .addOption(T.dropout())
    .addOption(T.augmentShift())
    .addOption(T.augmentFlip())
    .addOption(T.noAugmentFlip())
    .addOption(T.theta())
    .option("--t-max <T>", "end of the time window (fixed across the sweep)", parsePositive)
    .addOption(T.tIn())
    .addOption(T.loss())
    .addOption(T.tau0())
    .addOption(T.vmaxWeight())
    .addOption(T.hiddenVmaxWeight())
    .addOption(T.tRefWeight())
    .addOption(T.tRef())
    .addOption(T.labelSmoothing())
    .addOption(T.limitTrain())
    .addOption(T.validationSize())
    .addOption(limitTestOption())
    .addOption(T.averageLast())
    .addOption(new Option("--device <device>", "engine").choices(DEVICES))
    .addOption(workersOption())
    .option("--shard <i/n>", "run only shard i of n (0-based), e.g. $SLURM_ARRAY_TASK_ID/8", parseShard)
    .option(
      "--out <dir>",
      "output directory; finished runs in it are skipped (default with a preset: runs/<preset>)",
    )
    .option("--merge <dirs...>", "join these shard directories into --out instead of training")
    .addOption(quietOption())
    .action(async (opts) => {
      const { sweepCommand } = await import("./src/cli/sweep_command.ts");
      Deno.exitCode = await sweepCommand(opts, Deno.args);
    });

  program.command("compare")
    .description(
      "Put training runs side by side: a table (compare.csv, stdout), their epochs (compare_epochs.csv) and accuracy and spike curves per epoch.",
    )
    .argument(
      "<runs...>",
      "run directories written by train --out, or compare_epochs.csv files written earlier (FILE: all its runs; FILE#LABEL: one)",
    )
    .requiredOption(
      "--out <path>",
      "a directory (existing, or ending in /) for compare.csv, compare_epochs.csv, .svg and .png; else a prefix P for P.csv, P_epochs.csv, P.svg, P.png",
    )
    .option(
      "--labels <list>",
      "legend labels, comma-separated, one per run (default: the config fields that differ, else the directory names)",
      parseLabels,
    )
    .action(async (runs, opts) => {
      const { compareCommand } = await import("./src/cli/compare_command.ts");
      await compareCommand(runs, opts);
    });

  program.command("info")
    .description("Print the version, Deno, the WebGPU adapters and which datasets are available.")
    .option("--data-dir <dir>", "also look for IDX datasets here")
    .action(async (opts) => {
      const { info } = await import("./src/cli/info.ts");
      console.log(await info({ version: meta.version, dataDir: opts.dataDir }));
    });

  configureForCli(program);
  return program;
}

if (import.meta.main) {
  // Deno.exit: an engine's worker threads or a GPU device must not keep a finished command alive.
  Deno.exit(await runCli(buildProgram(), Deno.args));
}
