"""Loading patient images and generating a synthetic cohort.

The unit of data is one image of one patient; the group is the patient.
"""

from ._manifest import load_image_folder, load_manifest
from ._synthetic import make_synthetic_cohort

__all__ = ["load_image_folder", "load_manifest", "make_synthetic_cohort"]
