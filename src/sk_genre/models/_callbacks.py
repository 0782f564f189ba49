"""Keras callbacks of the seed scripts."""

import keras

__all__ = ["StopAtAccuracy"]


class StopAtAccuracy(keras.callbacks.Callback):
    """Stop training at the end of the first epoch whose accuracy reaches a threshold.

    The seed DNN script's ``myCallback``: once the monitored accuracy is at
    least ``threshold``, ``model.stop_training`` is set.

    Parameters
    ----------
    threshold : float, default=0.94
        Accuracy in [0, 1] at which to stop.
    monitor : str, default="accuracy"
        Log key to watch: ``"accuracy"`` (training rows) or
        ``"val_accuracy"`` (the early-stopping hold-out).

    Attributes
    ----------
    stopped_epoch : int or None
        Epoch (0-based) after which training stopped, or None.

    Raises
    ------
    ValueError
        ``threshold`` is not in [0, 1].
    """

    def __init__(self, threshold=0.94, monitor="accuracy"):
        super().__init__()
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1]; got {threshold!r}")
        self.threshold = threshold
        self.monitor = monitor
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value >= self.threshold:
            self.stopped_epoch = epoch
            self.model.stop_training = True


class EpochProgressBar(keras.callbacks.Callback):
    """One tqdm bar over the epochs of a fit, showing the latest loss and accuracy.

    What ``verbose=1`` gives sk_genre's networks (Keras' own log, which
    ``verbose=2`` keeps, prints one line per epoch instead). The bar advances
    at the end of each epoch; its postfix holds that epoch's ``loss`` and
    ``accuracy`` and, with early stopping, ``val_loss`` and ``val_accuracy``.
    A fit that stops early (early stopping, ``stop_accuracy``) closes the bar
    where it stopped; the closed bar stays on the terminal (the fit's last
    loss and accuracy).

    Parameters
    ----------
    desc : str, default="epochs"
        Label of the bar (the networks pass their class name).
    """

    _SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy")

    def __init__(self, desc="epochs"):
        super().__init__()
        self.desc = desc
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._bar is None:  # the first epoch: known here, not at on_train_begin
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.params["epochs"],
                initial=epoch,
                desc=self.desc,
                unit="epoch",
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {key: f"{logs[key]:.3f}" for key in self._SHOWN if key in logs}
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
