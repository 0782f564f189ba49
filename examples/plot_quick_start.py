"""
Quick start
===========

Fit the default pipeline on the bundled GTZAN feature table.
"""

import matplotlib.pyplot as plt

from sk_genre.datasets import load_gtzan_features

gtzan = load_gtzan_features()
print(gtzan.data.shape)
plt.hist(gtzan.data[:, 0])
plt.show()
