"""One torch thread for the tiny models of these tests: on a shared, loaded machine,
threads that wait on each other make millisecond steps take seconds."""

import torch

torch.set_num_threads(1)
