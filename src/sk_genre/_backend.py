"""Pick a Keras backend before keras is first imported."""

import importlib.util
import json
import os
import sys

#: Backends tried, in order, when neither KERAS_BACKEND nor keras.json names one.
BACKEND_PREFERENCE = ("jax", "tensorflow", "torch")


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _configured_backend():
    """The backend named in keras.json, if that backend is installed.

    Keras writes keras.json with ``"tensorflow"`` on its first import whatever
    is installed, so an uninstalled backend there is no user choice.
    """
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    try:
        with open(os.path.join(home, "keras.json")) as f:
            backend = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return backend if isinstance(backend, str) and _installed(backend) else None


def ensure_keras_backend():
    """Choose an installed Keras backend unless the user already chose one.

    Respects, in order: an already imported keras, the ``KERAS_BACKEND``
    environment variable, the ``backend`` key of ``~/.keras/keras.json`` when
    that backend is installed.
    Otherwise sets ``KERAS_BACKEND`` to the first installed of JAX (a
    dependency of sk_genre), TensorFlow, torch, so a plain ``pip install``
    works without TensorFlow.

    Returns
    -------
    backend : str or None
        The backend chosen here, or None when the choice was left to Keras.
    """
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND") or _configured_backend():
        return None
    for name in BACKEND_PREFERENCE:
        if _installed(name):
            os.environ["KERAS_BACKEND"] = name
            return name
    return None
