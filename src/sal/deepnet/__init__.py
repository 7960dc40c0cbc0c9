"""The CNN of fig 8 trained with BP, FA, BP+FA, KP, SC-FA, SAL or RDD feedback (spec deepnet §1, §6, §7), and
the same machinery without conv blocks: the fully connected networks of the depth and width study (fig S4).

NumPy + Numba with explicit backward passes; the SAL and RDD phases (``salphase``, ``rdd``) are imported
only when a run uses them.
"""

from .data import DATASETS, DatasetChecksumError, DatasetNotFoundError, ImageData, load_dataset
from .network import CNN, METHODS, alignment, paper_network, small_network
from .params import paper_params, quick_params
from .train import train

__all__ = ["train", "paper_params", "quick_params", "CNN", "METHODS", "alignment", "paper_network",
           "small_network", "load_dataset", "ImageData", "DATASETS", "DatasetNotFoundError",
           "DatasetChecksumError"]
