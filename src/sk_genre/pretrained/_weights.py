"""The shipped musicnn weights: names, tag vocabularies, checksums and loading.

The ``.npz`` files in ``data/`` were converted once from the checkpoints of the ISC-licensed
``musicnn`` 0.1.0 wheel (Pons & Serra 2019) by ``tools/convert_musicnn.py``; the licence
notice is ``data/LICENSE-musicnn.md``. Each file holds the float32 variables inference needs,
under their checkpoint names (792,079 values, 3.2 MB), and its sha256 is checked on load.
"""

import hashlib
import io
from functools import cache
from importlib import resources

import numpy as np

__all__ = ["MODELS", "TAGS", "load_weights"]

#: Shipped models -> sha256 of their weight file (printed by tools/convert_musicnn.py).
MODELS = {
    "MSD_musicnn": "7c523bf9e8ccb697275e698af0214b5a082c865ecfafea55d90e0301e2c5b54f",
    "MTT_musicnn": "1071ec730509c2dfb00fd1fd79e74d51e4f8fcf9ccf7076ff4c28f533b220e0b",
}

# musicnn/configuration.py (MTT_LABELS, MSD_LABELS), in the order of the taggram's columns
_MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip
_MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill",
    "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)  # fmt: skip

#: The 50 tags of each model's taggram, in column order: MSD (Million Song Dataset,
#: last.fm tags) and MTT (MagnaTagATune).
TAGS = {"MSD_musicnn": _MSD_TAGS, "MTT_musicnn": _MTT_TAGS}


def check_model(model):
    """Raise ValueError unless ``model`` names a shipped musicnn model."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}; got {model!r}")


def verified(data, model):
    """The arrays of weight-file bytes ``data`` of ``model``, after checking their sha256.

    Raises
    ------
    OSError
        The sha256 of ``data`` is not the one recorded for ``model`` at conversion.
    """
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODELS[model]:
        raise OSError(
            f"the weight file of {model} is corrupt: sha256 must be {MODELS[model]}; "
            f"got {digest} (reinstall sk_genre)"
        )
    with np.load(io.BytesIO(data)) as archive:
        return {name: archive[name] for name in archive.files}


@cache
def _load(model):
    check_model(model)
    data = resources.files(__package__).joinpath("data").joinpath(f"{model}.npz").read_bytes()
    return verified(data, model)


def load_weights(model="MSD_musicnn"):
    """The float32 variables of a shipped musicnn model, checked against their sha256.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Trained on the Million Song Dataset (last.fm tags) or on MagnaTagATune.

    Returns
    -------
    weights : dict of str -> ndarray
        Checkpoint variable name (e.g. ``"conv2d/kernel"``) -> float32 array. The arrays are
        shared between calls: copy before changing them.

    Raises
    ------
    ValueError
        ``model`` is not a shipped model.
    OSError
        The weight file's sha256 differs from the one recorded at conversion.
    """
    return _load(model)
