/**
 * Help text generated from the code's own defaults, so that `--help` cannot drift from them.
 * @module
 */
import { DATASET_NAMES } from "../data/dataset.ts";
import { defaultTrainConfig } from "../train/defaults.ts";

/**
 * What `train` uses for options that are not given, per dataset, as flags.
 * @returns lines for the end of `train --help`
 */
export function trainDefaultsHelp(): string {
  const lines = ["", "Defaults (options not given), per dataset:"];
  for (const name of DATASET_NAMES) {
    const c = defaultTrainConfig(name);
    const n = c.neuron;
    lines.push(
      `  ${name}:`,
      `    --hidden ${c.hidden.join(",")} --epochs ${c.epochs} --batch-size ${c.batch_size} --lr ${c.lr} ` +
        `--lr-decay ${c.lr_decay} --lr-warmup ${c.lr_warmup_steps ?? 0} --weight-decay ${
          c.weight_decay ?? 0
        } --dropout ${c.dropout ?? 0} --augment-shift ${c.augment_shift ?? 0} ${
          c.augment_flip ? "--augment-flip" : "--no-augment-flip"
        } --t-in ${c.t_in}`,
      `    --tau-m ${n.tau_m} --tau-s ${n.tau_s} --theta ${n.theta} --t-max ${n.t_max} --max-spikes ${n.max_spikes} ` +
        `--loss ${c.loss.kind} --tau0 ${c.loss.tau0} --vmax-weight ${c.loss.vmax_weight} --hidden-vmax-weight ${
          c.loss.hidden_vmax_weight ?? 0
        } --t-ref-weight ${c.loss.t_ref_weight ?? 0} --t-ref ${c.loss.t_ref ?? 0} --label-smoothing ${
          c.loss.label_smoothing ?? 0
        }`,
      `    --seed ${c.seed} --device ${c.device} --workers ${c.workers}`,
    );
  }
  return lines.join("\n");
}
