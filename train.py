"""Train CLEAR.

    python train.py --flagfile=configs/tacos.flags --data_dir=D --manual_dir=M --run_dir=runs/tacos
    python train.py --flagfile=configs/tacos.flags --summary_only

Every flag is a field of ``clear_tf.config`` (``python train.py --helpfull`` lists them).
The resolved configuration is written to ``<run_dir>/config.json`` and ``flags.txt``;
the work is done by ``clear_tf.training.train``. The same command again after a crash
resumes the run where it stopped. A flag error, or flags that differ from the run's,
end the program before anything is written with one line and status 2.
"""

from absl import app

from clear_tf import cli


def main(argv):
    config = cli.config_or_usage_error(argv)
    if config.train.summary_only:
        from clear_tf.model_summary import print_model_summary

        print_model_summary(config)
        return
    from clear_tf.training import SetupError, train

    try:
        train(config, flags_text=cli.flags_text(config))
    except SetupError as error:  # found before the run folder is touched
        cli.usage_error(error)


if __name__ == "__main__":
    cli.define_flags()
    app.run(main)
