"""Every cap the playground enforces, in one place.

The numbers keep the page responsive on a classroom laptop (two cores, a projector, a browser
that redraws each neuron several times a second) and keep one click from freezing the machine.
Each one is checked where the input arrives (spec validation, the CSV parser, the HTTP handler),
and each error message names the cap, so a user knows what the limit is and why it is there.
"""

from __future__ import annotations

#: Points in a dataset (train and test together). TF Playground draws 500; 5,000 still redraws
#: in a few milliseconds and keeps an epoch at batch size 10 under about 0.1 s.
MAX_POINTS = 5000
#: Fewest points: a stratified split needs two of each class, and a heat map needs a few.
MIN_POINTS = 10
#: Classes: ten distinct colours are the most a viewer tells apart on a projector.
MAX_CLASSES = 10
#: Hidden layers and units per layer (TF Playground: 6 and 8). Every neuron is drawn as its own
#: heat map, so layers x units bounds the page's drawing work; 8 x 32 is 256 small maps.
MAX_HIDDEN_LAYERS = 8
MAX_UNITS = 32
#: Parameters in one network (8 layers of 32 units on 7 features is about 7,700).
MAX_PARAMS = 20_000
#: Updates in one epoch: batch size 1 on 5,000 points would make one epoch last seconds,
#: during which pause and step would not answer.
MAX_STEPS_PER_EPOCH = 1000
#: An epoch limit larger than anyone waits for, but finite.
MAX_EPOCHS = 1_000_000
#: Learning rates above this diverge on every problem here; the cap is a typo guard.
MAX_LEARNING_RATE = 10.0
#: Regularization rates above this only shrink the weights to zero.
MAX_REGULARIZATION_RATE = 1.0
#: Dropout must leave units to train.
MAX_DROPOUT = 0.9
#: Noise is in the units of the data (about 1); 1.0 already hides every pattern.
MAX_NOISE = 1.0
#: Largest seed accepted (NumPy takes any non-negative int; URLs stay short).
MAX_SEED = 2**31 - 1

#: An uploaded CSV: bytes, rows and columns (x1, x2 and the label). 1 MB holds 5,000 rows of
#: long decimals several times over; anything bigger is not a 2-D toy dataset.
MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_ROWS = MAX_POINTS
UPLOAD_COLUMNS = 3
#: Feature values of an upload: larger magnitudes only make training diverge, and the heat map
#: grid would be meaningless.
MAX_ABS_VALUE = 1e6
#: A JSON request body (a setup, a clicked point, a weight edit). Setups are about 1 kB.
MAX_JSON_BYTES = 64_000
#: Points added by clicking in one request.
MAX_CLICKED_POINTS = 100

#: Browser tabs served at once; the least recently used one is closed beyond this.
MAX_SESSIONS = 8
#: Resolution of the decision-boundary heat map and of each neuron's small map.
BOUNDARY_RESOLUTION = 100
NEURON_RESOLUTION = 24
#: Training runs in slices of about this many seconds, between which the state is published
#: and commands (pause, a weight edit) are applied: about 10 updates per second.
SLICE_SECONDS = 0.08
#: The training doctor runs at most this often while training (it costs a forward/backward
#: pass on 256 samples).
DOCTOR_INTERVAL_SECONDS = 1.0
#: Points of each loss curve sent to the page (longer curves are subsampled).
MAX_CURVE_POINTS = 400
