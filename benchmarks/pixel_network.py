"""Does a network on the pixels read the renders better than the landmarks?

The reference models read a photo through its landmarks (MediaPipe Face
Mesh) and features computed from them. On the wide synthetic cohort much
is lost in detecting the landmarks (``landmark_ceiling.py``). This fits,
on the same synthetic people, a small convolutional network trained from
scratch on the photos themselves: 112-pixel crops levelled and scaled by
Face Mesh's eye centres (40 pixels apart), given as the crop and its
difference from its mirror image (six channels), four blocks of 3 x 3
convolutions (16 to 64 channels), flips and shifts of up to 3 pixels in
training, and the crop with its mirror averaged in prediction. Beside it,
the reference models' own recipe on the same photos' landmarks, and the
mean of the two probabilities.

For palsy it prints the ROC AUC per photo and per person (the mean of a
person's photos) and the sensitivity to moderate to severe palsy at 90 %
specificity, with the threshold taken on the held-out controls themselves
(so it measures ranking, not a threshold chosen beforehand); for the type,
the balanced accuracy per photo and per person.

The network has only seen painted faces: whatever it reads better may be
the renderer's painting, not anything a photograph of a person shows. It
answers whether the landmarks are what limits the reference models on
these renders, not whether pixels would do better on people.

``python benchmarks/pixel_network.py [--image-size 448]``. With one
torch thread each (``--threads 1``), the two sizes side by side on the
two cores of an AMD EPYC, it took 28 minutes at 224 pixels (16 of them
training the palsy network) and 27 at 448 (12 rendering and detecting).
"""

import argparse
import time

import cv2
import numpy as np
import torch
from landmark_ceiling import add_people_arguments, cohort, landmarks, network
from size_transfer import per_person
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_palsy import ExpressionFeatures
from sklearn_palsy.faces import get_scheme
from sklearn_palsy.paper import MODERATE_SEVERITY, REFERENCE_TRAINING

CROP, EYES_APART, EYE_ROW = 112, 40.0, 42.0


def aligned_crops(images, points, found, scheme):
    """Crops levelled and scaled so that the eye centres sit at fixed places."""
    ibug = get_scheme(scheme).to_ibug68(points)
    crops = np.zeros((len(images), CROP, CROP, 3), np.uint8)
    for i in np.flatnonzero(found):
        right, left = ibug[i, 36:42].mean(0), ibug[i, 42:48].mean(0)
        gap = left - right
        scale = EYES_APART / np.hypot(*gap)
        cos, sin = np.array([gap[0], gap[1]]) / np.hypot(*gap) * scale
        matrix = np.array([[cos, sin, 0.0], [-sin, cos, 0.0]])
        centre = (right + left) / 2
        matrix[:, 2] = np.array([CROP / 2, EYE_ROW]) - matrix[:, :2] @ centre
        crops[i] = cv2.warpAffine(
            np.asarray(images[i]), matrix, (CROP, CROP),
            flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE)
    return crops


def as_tensor(crops):
    x = crops.astype(np.float32).transpose(0, 3, 1, 2)
    x = (x - x.mean(axis=(1, 2, 3), keepdims=True)) / (
        x.std(axis=(1, 2, 3), keepdims=True) + 1e-3)
    return torch.from_numpy(x)


def with_mirror(x):
    return torch.cat([x, x - torch.flip(x, dims=[3])], 1)


def _block(n_in, n_out):
    return nn.Sequential(nn.Conv2d(n_in, n_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(n_out), nn.ReLU(), nn.MaxPool2d(2))


def pixel_network(x, y, epochs, seed=0):
    """Train the small network on crops ``x`` (a tensor) for labels ``y`` (0/1)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = nn.Sequential(_block(6, 16), _block(16, 32), _block(32, 64), _block(64, 64),
                        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 64),
                        nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 1))
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-3)
    steps = (len(x) + 63) // 64
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                                   total_steps=epochs * steps)
    loss = nn.BCEWithLogitsLoss()
    target = torch.as_tensor(y, dtype=torch.float32)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            images = x[batch]
            flip = torch.rand(len(batch)) < 0.5
            images = torch.where(flip[:, None, None, None],
                                 torch.flip(images, dims=[3]), images)
            shift = tuple(int(v) for v in rng.integers(-3, 4, 2))
            images = torch.roll(images, shifts=shift, dims=(2, 3))
            optimizer.zero_grad()
            loss(net(with_mirror(images)).squeeze(1), target[batch]).backward()
            optimizer.step()
            schedule.step()
    net.eval()

    def predict(images):
        out = []
        with torch.no_grad():
            for start in range(0, len(images), 256):
                batch = images[start:start + 256]
                mirrored = torch.flip(batch, dims=[3])
                out.append((torch.sigmoid(net(with_mirror(batch)))
                            + torch.sigmoid(net(with_mirror(mirrored)))).squeeze(1) / 2)
        return torch.cat(out).numpy()

    return predict


def palsy_row(name, proba, held):
    threshold = np.quantile(proba[held["y"] == 0], 0.9)
    moderate = (held["y"] == 1) & (held["severity"] > MODERATE_SEVERITY)
    people = per_person(held, proba)
    person_threshold = np.quantile(people["proba"][people["y"] == 0], 0.9)
    person_moderate = (people["y"] == 1) & (people["severity"] > MODERATE_SEVERITY)
    return (f"| palsy | {name} | {roc_auc_score(held['y'], proba):.3f} | "
            f"{np.mean(proba[moderate] > threshold):.3f} | "
            f"{roc_auc_score(people['y'], people['proba']):.3f} | "
            f"{np.mean(people['proba'][person_moderate] > person_threshold):.3f} |")


def type_row(name, proba, held):
    peripheral = held["y"]
    people = per_person(held, proba)
    return (f"| type | {name} | {roc_auc_score(peripheral, proba):.3f} | "
            f"{balanced_accuracy_score(peripheral, proba > 0.5):.3f} | "
            f"{roc_auc_score(people['y'], people['proba']):.3f} | "
            f"{balanced_accuracy_score(people['y'], people['proba'] > 0.5):.3f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_people_arguments(parser)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=20,
                        help="epochs of the pixel network (default 20)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    data = {}
    # The people of landmark_ceiling.py and size_transfer.py: seeds 21 and 22.
    for part, n_people, seed in (("train", args.people, 21),
                                 ("test", args.held_out, 22)):
        made = cohort(n_people, seed, args.image_size)
        points, found, scheme = landmarks(made, "mediapipe")
        crops = aligned_crops(made.images, points, found, scheme)[found]
        data[part] = {
            "crops": as_tensor(crops),
            "points": points[found], "y": made.y[found],
            "peripheral": made.palsy_type[found] == "peripheral",
            "severity": made.severity[found], "groups": made.groups[found],
        }
        del made
    train, test = data["train"], data["test"]
    print(f"rendered and detected in {time.perf_counter() - start:.0f} s; "
          f"{len(train['y'])} photos to train on, {len(test['y'])} held out",
          flush=True)

    features = ExpressionFeatures(kinds=REFERENCE_TRAINING["kinds"], scheme="mediapipe")
    X_train = features.fit_transform(train["points"])
    X_test = features.transform(test["points"])
    rows = []
    for task in ("palsy", "type"):
        everyone = task == "palsy"
        keep_train = train["y"] >= 0 if everyone else train["y"] == 1
        keep_test = test["y"] >= 0 if everyone else test["y"] == 1
        label = "y" if task == "palsy" else "peripheral"
        y_train = train[label][keep_train].astype(int)
        scaler = StandardScaler().fit(X_train[keep_train])
        recipe = network(scaler.transform(X_train[keep_train]), y_train)
        from_landmarks = recipe.predict_proba(scaler.transform(X_test[keep_test]))[:, 1]
        tic = time.perf_counter()
        predict = pixel_network(train["crops"][keep_train], y_train, args.epochs)
        from_pixels = predict(test["crops"][keep_test])
        print(f"{task}: pixel network trained in {time.perf_counter() - tic:.0f} s",
              flush=True)
        for name, proba in (("landmarks (the reference recipe)", from_landmarks),
                            ("pixels", from_pixels),
                            ("mean of the two", (from_landmarks + from_pixels) / 2)):
            if task == "palsy":
                rows.append(palsy_row(name, proba, test))
            else:
                rows.append(type_row(name, proba, {
                    "y": test["peripheral"][keep_test],
                    "severity": test["severity"][keep_test],
                    "groups": test["groups"][keep_test]}))
    print("\n| task | input | ROC AUC, photo | palsy: sensitivity moderate-severe "
          "at 90 % specificity, photo / type: balanced accuracy, photo | "
          "ROC AUC, person | the same, person |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\n{time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
