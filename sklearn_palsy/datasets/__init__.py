"""Loading patient images and generating a synthetic cohort.

The unit of data is one image (or one sampled video frame) of one patient;
the group is the patient.
"""

from ._images import resolve_images
from ._manifest import load_image_folder, load_manifest
from ._synthetic import make_synthetic_cohort
from ._video import expand_videos, make_synthetic_video, sample_video_frames

__all__ = [
    "expand_videos",
    "load_image_folder",
    "load_manifest",
    "make_synthetic_cohort",
    "make_synthetic_video",
    "resolve_images",
    "sample_video_frames",
]
