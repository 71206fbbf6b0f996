"""Train CLEAR.

    python train.py --flagfile=configs/tacos.flags --data_dir=D --manual_dir=M --run_dir=runs/tacos
    python train.py --flagfile=configs/tacos.flags --summary_only

Every flag is a field of ``clear_tf.config`` (``python train.py --helpfull`` lists them).
The resolved configuration is written to ``<run_dir>/config.json`` and ``flags.txt``;
the work is done by ``clear_tf.training.train``.
"""

from absl import app

from clear_tf import cli


def main(argv):
    config = cli.config_or_usage_error(argv)
    if config.train.summary_only:
        from clear_tf.model_summary import print_model_summary

        print_model_summary(config)
        return
    from clear_tf.training import train

    train(config, flags_text=cli.flags_text(config))


if __name__ == "__main__":
    cli.define_flags()
    app.run(main)
