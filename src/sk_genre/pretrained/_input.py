"""musicnn's input: log-mel spectrogram of 16-kHz audio, cut into 187-frame patches (no keras)."""

import numpy as np

__all__ = ["HOP_LENGTH", "N_FFT", "SR", "log_mel", "patches"]

#: musicnn's signal setup (musicnn/configuration.py): sampling rate in Hz, FFT window and hop
#: in samples; 96 mel bands and 187-frame (3-s) patches are in ``_network``.
SR = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
PATCH_FRAMES = 187


def log_mel(y):
    """musicnn's log-mel spectrogram of one 16-kHz waveform: ``log10(10000 * mel + 1)``.

    The mel power spectrogram is :func:`librosa.feature.melspectrogram` with ``n_fft=512``,
    ``hop_length=256``, ``n_mels=96`` (Slaney bands and norm, Hann window, centred frames),
    as in musicnn's ``extractor.batch_data``, with two differences from that code: the
    frames are padded by reflection (``pad_mode="reflect"``, the default of the librosa that
    musicnn was trained with; librosa >= 0.10 pads with zeros), and the log is taken in
    float32 (musicnn 0.1.0 casts the mel to float16 first, where ``10000 * mel`` overflows to
    inf on most real music and the network outputs NaN; Essentia's port also works in float32).

    Parameters
    ----------
    y : ndarray of shape (n_samples,), dtype float32
        Mono waveform at 16000 Hz. Clips shorter than one FFT window (512 samples) are
        zero-padded to it.

    Returns
    -------
    log_mel : ndarray of shape (n_frames, 96), dtype float32
        ``n_frames = 1 + n_samples // 256`` frames (3 for a clip zero-padded to 512
        samples), time first: musicnn's layout.
    """
    import librosa

    if y.size < N_FFT:  # reflection padding needs more than n_fft // 2 samples
        y = np.pad(y, (0, N_FFT - y.size))
    mel = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS, pad_mode="reflect"
    )
    return np.log10(10000 * mel.astype(np.float32, copy=False) + 1).T


def patches(spectrogram, hop=PATCH_FRAMES):
    """Cut a log-mel spectrogram into 187-frame patches, as musicnn's ``batch_data``.

    Parameters
    ----------
    spectrogram : ndarray of shape (n_frames, 96)
        Output of :func:`log_mel`.
    hop : int, default=187
        Frames between patch starts (187: back to back, musicnn's default; frames after the
        last whole patch are left out, as there).

    Returns
    -------
    patches : ndarray of shape (n_patches, 187, 96), dtype float32
        ``n_patches = 1 + (n_frames - 187) // hop``. A spectrogram shorter than one patch
        is repeated to fill it (musicnn's training config: ``pad_short="repeat-pad"``).
    """
    n_frames = spectrogram.shape[0]
    if n_frames < PATCH_FRAMES:
        reps = -(-PATCH_FRAMES // n_frames)
        spectrogram = np.tile(spectrogram, (reps, 1))[:PATCH_FRAMES]
        n_frames = PATCH_FRAMES
    starts = range(0, n_frames - PATCH_FRAMES + 1, hop)
    view = np.lib.stride_tricks.sliding_window_view(spectrogram, PATCH_FRAMES, axis=0)
    return np.ascontiguousarray(view[list(starts)].transpose(0, 2, 1), dtype=np.float32)
