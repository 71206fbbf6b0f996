"""Evaluate a trained CLEAR run (or checkpoint) with the paper's protocol.

    python evaluate.py --flagfile=configs/tacos.flags --run_dir=runs/tacos
    python evaluate.py --run_dir=runs/tacos --inference=clear --tree=paper --tune_thresholds
    python evaluate.py --run_dir=runs/tacos --checkpoint=runs/tacos/checkpoints/last.keras

Prints R@n,IoU=m, mIoU, the query-blind prior baseline, R_T / R_A and the share of
candidates the fine head scored; writes ``eval_<inference>.json`` and per-query
predictions (JSON lines) into the run folder. The work is done by
``clear_tf.evaluation.run_evaluation``.
"""

from absl import app, flags

from clear_tf import cli

flags.DEFINE_string("checkpoint", "", "A .keras model to evaluate (default: <run_dir>/checkpoints/best.keras).")
flags.DEFINE_string("split", "", "Split to evaluate (default: --test_split).")
flags.DEFINE_boolean(
    "tune_thresholds", False, "Pick μ and ρ of the tree search on --val_split before evaluating."
)
flags.DEFINE_string(
    "export_dir",
    "",
    "Also export the evaluated model as a SavedModel here (--noexport_text_endpoints: "
    "serving_default only, core TensorFlow ops).",
)
flags.DEFINE_boolean("all_ablations", False, "Evaluate CLEAR (both trees), CLEAR-F and CLEAR-C in one run.")


def main(argv):
    config = cli.config_or_usage_error(argv, from_run_dir=True)
    from clear_tf.training import preflight

    try:  # before evaluation creates anything in the run folder
        preflight.check_text_preset(config.model.text_preset)
        preflight.check_dataset(config)
    except preflight.SetupError as error:
        cli.usage_error(error)
    from clear_tf.evaluation.run import run_evaluation

    run_evaluation(
        config,
        checkpoint=flags.FLAGS.checkpoint,
        split=flags.FLAGS.split or config.data.test_split,
        tune_thresholds=flags.FLAGS.tune_thresholds,
        export_dir=flags.FLAGS.export_dir,
        all_ablations=flags.FLAGS.all_ablations,
    )


if __name__ == "__main__":
    cli.define_flags()
    app.run(main)
