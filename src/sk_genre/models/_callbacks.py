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
